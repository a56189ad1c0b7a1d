import BFSHTTP

/// The parts a parse found, comparable across ways of cutting the same body.
private struct Recorder: MultipartParserDelegate {
    var events: [String] = []
    var data: [UInt8] = []

    mutating func didBeginPart(_ part: MultipartPart) throws {
        events.append("part \(part.name ?? "-") \(part.filename ?? "-") \(part.contentType ?? "-") \(part.headers.count)")
    }

    mutating func didReceivePartData(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!bytes.isEmpty, "empty data callback")
        data += bytes
    }

    mutating func didEndPart() throws {
        events.append("data \(data)")
        data = []
    }

    mutating func didEndBody() throws { events.append("end") }
}

/// Parses `pieces` with a fixed boundary; returns the events and how the parse ended.
private func run(_ pieces: [UnsafeRawBufferPointer]) -> [String] {
    var limits = MultipartParser.Limits()
    limits.maxPartHeaderSize = 512
    limits.maxParts = 16
    var recorder = Recorder()
    do {
        var parser = try MultipartParser(boundary: "fuzz-boundary", limits: limits)
        for piece in pieces { try parser.feed(piece, to: &recorder) }
        try parser.finish()
        return recorder.events + ["ok"]
    } catch {
        return recorder.events + ["error \(error)"]
    }
}

/// Parses the body whole and cut in three at points the first two bytes pick: the parser
/// must find the same parts and the same error however the body arrives.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 2 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    let a = Int(data[0]) % (body.count + 1)
    let b = a + Int(data[1]) % (body.count - a + 1)
    let whole = run([body])
    let cut = run([UnsafeRawBufferPointer(rebasing: body[..<a]), UnsafeRawBufferPointer(rebasing: body[a..<b]),
                   UnsafeRawBufferPointer(rebasing: body[b...])])
    precondition(whole == cut, "cuts at \(a), \(b) changed the parse:\n\(whole)\n\(cut)")
    // The boundary parameter parser sees the same bytes as a Content-Type value.
    _ = try? MultipartBoundary.extract(fromContentType: String(decoding: body.prefix(200), as: UTF8.self))
    return 0
}
