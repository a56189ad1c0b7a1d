import Testing
@testable import BFSHTTP

/// The request-line judgement behind 400 versus 501.
@Suite struct HTTPRequestLineTests {
    @Test(arguments: [
        ("BREW /pot HTTP/1.1\r\n", HTTPRequestLineVerdict.unknownMethod),
        ("M-SEARCH * HTTP/1.1\n", .unknownMethod),
        ("get /a?b=c HTTP/1.0\r\n", .unknownMethod),
        ("BREW", .incomplete),
        ("BREW /pot", .incomplete),
        ("BREW /pot HTTP/1.", .incomplete),
        ("BREW /pot HTTP/1.1\r", .incomplete),
        ("", .incomplete),
        (" BREW /pot HTTP/1.1\r\n", .malformed),
        ("BREW\r\n", .malformed),
        ("BR@W /pot HTTP/1.1\r\n", .malformed),
        ("BREW /pot HTTP/x.1\r\n", .malformed),
        ("BREW /pot HTTP/1.1 \r\n", .malformed),
        ("BREW /pot HTTP/1.1\rX", .malformed),
        ("BREW /p\u{7F}t HTTP/1.1\r\n", .malformed),
    ])
    func classify(line: String, verdict: HTTPRequestLineVerdict) {
        #expect(HTTPRequestLine.classify(Array(line.utf8)) == verdict)
    }
}
