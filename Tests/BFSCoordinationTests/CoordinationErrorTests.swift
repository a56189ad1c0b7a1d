import Testing
import BFSCore
@testable import BFSCoordination

@Suite struct CoordinationErrorTests {
    @Test func coordinationFailuresAnswerAsInternalError() {
        // bfs maps every non-bfs error (ZooKeeper included) to 65535 (reference §1.9).
        #expect(CoordinationError.connectionLoss.ret == .internalError)
        #expect(CoordinationError.nodeExists(path: "/rack").ret.rawValue == 65535)
    }
}
