import Testing
@testable import BFSHTTP

@Suite struct HTTPStatusTests {
    @Test func reasonPhrases() {
        #expect(HTTPStatus.requestHeaderFieldsTooLarge.description == "431 Request Header Fields Too Large")
        #expect(HTTPStatus(299).reason == "Unknown")
    }
}
