import BFSOps
import BFSTestSupport
import Foundation
import Glibc
import Testing

/// `bfs ops hash-password` at a real terminal (a pseudo-terminal): the typed password is not
/// echoed, and the printed hash verifies it.
@Suite struct OpsHashPasswordTests {
    /// Reads what the terminal shows until `marker` appears or the child has gone quiet for 10 s.
    private func read(_ master: Int32, until marker: String?) -> String {
        var shown: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 10_000) > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
            guard n > 0 else { break }  // EIO once the child closed its side
            shown += buffer[0..<n]
            if let marker, String(decoding: shown, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: shown, as: UTF8.self)
    }

    /// `unlockpt` + `ptsname` of a pseudo-terminal master (Swift's Glibc module leaves them
    /// out: they sit behind _XOPEN_SOURCE), looked up from the C library at run time.
    private static func unlockedPeerName(_ master: Int32) -> String? {
        typealias Unlock = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        guard let handle = dlopen(nil, RTLD_NOW), let unlock = dlsym(handle, "unlockpt"), let name = dlsym(handle, "ptsname"),
              unsafeBitCast(unlock, to: Unlock.self)(master) == 0,
              let peer = unsafeBitCast(name, to: Name.self)(master) else { return nil }
        return String(cString: peer)
    }

    @Test func aPasswordTypedAtATerminalIsNotEchoed() throws {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        let name = try #require(Self.unlockedPeerName(master), "no pseudo-terminal")
        let terminal = try #require(FileHandle(forUpdatingAtPath: name))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BFSProcess.binary())
        process.arguments = ["ops", "hash-password", "--rounds", "20000"]
        let output = Pipe()
        process.standardInput = terminal
        process.standardError = terminal
        process.standardOutput = output
        try process.run()
        try terminal.close()

        let prompt = read(master, until: "password: ")
        #expect(prompt.contains("password: "), "\(prompt)")
        let password = "typed-Secret-42"
        _ = Array((password + "\n").utf8).withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        let hash = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        let rest = read(master, until: nil)
        #expect(process.terminationStatus == 0)
        #expect(!(prompt + rest).contains(password), "the terminal showed the password: \(prompt + rest)")
        let parsed = try #require(PasswordHash(encoded: hash), "not a hash: \(hash)")
        #expect(parsed.matches(password))
        #expect(!parsed.matches("typed-Secret-43"))
    }
}
