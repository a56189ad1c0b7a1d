import BFSLoop
import Dispatch
import Synchronization

/// An ``HTTPClient`` on a private loop for command-line tools: `send` runs one request on that
/// loop and waits for its answer. Call it from a plain thread, never from a loop.
public final class BlockingHTTPClient: Sendable {
    private let group: EventLoopGroup
    private let client: HTTPClient

    /// A client with its own one-loop group named `name`.
    public init(name: String, configuration: HTTPClient.Configuration = .init()) throws {
        group = try EventLoopGroup(loopCount: 1, name: name)
        client = HTTPClient(loop: group.loops[0], configuration: configuration)
    }

    deinit { group.shutdown() }

    /// Sends `request` and waits up to `timeout` for the whole answer; nil when none came.
    public func send(_ request: HTTPClientRequest, timeout: Duration) -> Result<HTTPClientResponse, HTTPClientError>? {
        let client = self.client
        let outcome = Mutex<Result<HTTPClientResponse, HTTPClientError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let queued = group.loops[0].execute {
            client.execute(request) { result in
                outcome.withLock { $0 = result }
                done.signal()
            }
        }
        let wait = DispatchTimeInterval.milliseconds(Int(clamping: timeout.components.seconds * 1000
            + timeout.components.attoseconds / 1_000_000_000_000_000))
        guard queued, done.wait(timeout: .now() + wait) == .success else { return nil }
        return outcome.withLock { $0 }
    }
}
