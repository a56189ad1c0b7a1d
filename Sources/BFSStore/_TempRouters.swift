import BFSHTTP
import BFSStorage
import BFSCore
func makeAPIRouter(context: StoreContext) -> HTTPRouter { HTTPRouter() }
func makeAdminRouter(context: StoreContext) -> HTTPRouter { HTTPRouter() }
func makeStatRouter(context: StoreContext) -> HTTPRouter { HTTPRouter() }
extension StoreVolumes { func bulkVolume(_ id: VolumeID, blockPath: String, indexPath: String) throws {} }
