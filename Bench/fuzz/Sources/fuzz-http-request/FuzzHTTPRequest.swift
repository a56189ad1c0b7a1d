@testable import BFSHTTP

/// What the parser reported, comparable across ways of cutting the same input.
private final class Recorder: HTTPRequestParserDelegate {
    var events: [String] = []

    func parserDidReceiveHead(_ head: HTTPRequestHead) {
        let headers = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
        events.append("head \(head.method.rawValue) \(head.uri) \(head.versionMajor).\(head.versionMinor) "
            + "\(head.keepAlive) \(String(describing: head.contentLength)) \(head.isChunked) \(headers)")
        // Path and query are a piece of the target (the absolute form drops scheme and host,
        // and makes an empty path "/").
        let rebuilt = Array((head.query.isEmpty ? head.path : head.path + "?" + head.query).utf8)
        precondition(Array(head.uri.utf8).firstRange(of: rebuilt) != nil || (head.path == "/" && head.query.isEmpty),
                     "split lost part of \(head.uri)")
    }

    func parserDidReceiveBody(_ chunk: UnsafeRawBufferPointer) {
        if case .some(let last) = events.last, last.hasPrefix("body ") {
            events[events.count - 1] = last + chunk.map { String($0) }.joined(separator: ",") + ","
        } else {
            events.append("body " + chunk.map { String($0) }.joined(separator: ",") + ",")
        }
    }

    func parserDidCompleteMessage() { events.append("end") }
}

/// Feeds `pieces` in order as a connection would (resuming after every pause); returns the
/// events and how parsing ended.
private func run(_ pieces: [UnsafeRawBufferPointer], maxHeaderBytes: Int) -> [String] {
    let recorder = Recorder()
    let parser = HTTPRequestParser(maxHeaderBytes: maxHeaderBytes)
    parser.delegate = recorder
    for piece in pieces {
        var rest = piece
        while true {
            switch parser.feed(rest) {
            case .consumedAll:
                rest = UnsafeRawBufferPointer(start: nil, count: 0)
            case .paused(let n):
                precondition(n >= 0 && n <= rest.count, "paused past the input")
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
                continue
            case .failed(let failure):
                return recorder.events + ["failed \(failure)"]
            }
            break
        }
    }
    return recorder.events
}

/// Parses the input whole and cut in two at a point the first byte picks: http-parser is
/// incremental, so both must report the same requests, bodies and failure.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let cut = size > 1 ? Int(data[0]) % input.count : 0
    let limit = 1024
    let whole = run([input], maxHeaderBytes: limit)
    let split = run([UnsafeRawBufferPointer(rebasing: input[..<cut]), UnsafeRawBufferPointer(rebasing: input[cut...])],
                    maxHeaderBytes: limit)
    precondition(whole == split, "cut at \(cut) changed the parse:\n\(whole)\n\(split)")
    _ = HTTPRequestLine.classify(Array(input))
    return 0
}
