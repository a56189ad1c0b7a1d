import BFSHTTP
import BFSStorage
import BFSCore
func makeAPIRouter(context: StoreContext) -> HTTPRouter { HTTPRouter() }
