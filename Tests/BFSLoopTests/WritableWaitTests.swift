import BFSTestSupport
import Glibc
import Testing
@testable import BFSLoop

/// The accepted connection, touched on the loop thread only.
private final class Slot: @unchecked Sendable {
    var connection: TCPConnection?
}

/// `TCPConnection.whenWritable`: the wait behind `sendfile`'s EAGAIN.
@Suite struct WritableWaitTests {
    /// Accepts one connection from a blocking client with a small receive buffer and fills the
    /// server side until the kernel refuses more; returns the client and the connection.
    private func filledConnection(on loop: EventLoop) throws -> (TestHTTPClient, Slot) {
        let slot = Slot()
        let accepted = Locked(false)
        let port = try loop.submitAndWait {
            try TCPListener(on: loop, host: "127.0.0.1", port: 0) { conn in
                slot.connection = conn
                accepted.with { $0 = true }
            }.port
        }
        // The shared test client is a plain blocking socket; only its descriptor is used.
        let client = try TestHTTPClient(port: port, receiveBuffer: 8 * 1024)
        #expect(waitUntil { accepted.get })
        let full = try loop.submitAndWait { () -> Bool in
            let chunk = [UInt8](repeating: 7, count: 64 * 1024)
            for _ in 0..<1000 {
                let n = try chunk.withUnsafeBytes { try slot.connection!.tryWrite($0) }
                if n == 0 { return true }
            }
            return false
        }
        #expect(full)
        return (client, slot)
    }

    @Test func firesOnceTheReaderDrainsTheSocket() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "writable")
        defer { group.shutdown() }
        let loop = group.next()
        let (client, conn) = try filledConnection(on: loop)
        let outcome = Locked<[String]>([])
        loop.execute {
            conn.connection!.whenWritable { error in outcome.with { $0.append(error == nil ? "writable" : "\(error!)") } }
        }
        // Nothing is read yet, so the socket stays full: the wait must still be pending once
        // the loop has run the job above and a round trip after it.
        try loop.submitAndWait {}
        #expect(outcome.get.isEmpty)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        #expect(waitUntil {
            _ = recv(client.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            return !outcome.get.isEmpty
        })
        #expect(outcome.get == ["writable"])
        try loop.submitAndWait { conn.connection!.close() }
    }

    @Test func closingTheConnectionCancelsAPendingWaitAndFreesTheWatcher() throws {
        let group = try EventLoopGroup(loopCount: 1, name: "writable-close")
        defer { group.shutdown() }
        let loop = group.next()
        let baseline = try loop.submitAndWait { loop.openResourceCount }
        let (client, conn) = try filledConnection(on: loop)
        let outcome = Locked<Int32?>(nil)
        try loop.submitAndWait {
            conn.connection!.whenWritable { error in outcome.with { $0 = error?.errno ?? 0 } }
            conn.connection!.close()
        }
        #expect(waitUntil { outcome.get != nil })
        #expect(outcome.get == ECANCELED)
        // Listener only: the connection and its watcher are gone.
        #expect(waitUntil { (try? loop.submitAndWait { loop.openResourceCount }) == baseline + 1 })
        withExtendedLifetime(client) {}  // the peer stays open throughout
    }
}
