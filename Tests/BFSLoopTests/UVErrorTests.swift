import Glibc
import Testing
@testable import BFSLoop

@Suite struct UVErrorTests {
    @Test func negativeCodesThrowWithTheirName() {
        #expect(throws: UVError(code: -EADDRINUSE, operation: "bind")) {
            try uvCheck(-EADDRINUSE, "bind")
        }
        let e = UVError(code: -EADDRINUSE, operation: "bind")
        #expect(e.name == "EADDRINUSE")
        #expect(e.errno == EADDRINUSE)
        #expect(e.description.hasPrefix("bind: EADDRINUSE"))
    }

    @Test func nonNegativeCodesPassThrough() throws {
        #expect(try uvCheck(0, "x") == 0)
        #expect(try uvCheck(7, "x") == 7)
    }
}
