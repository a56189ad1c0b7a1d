import Glibc

/// Polls `condition` every `pollMilliseconds` until it holds or `seconds` pass (monotonic clock),
/// and returns whether it held: the one bounded wait of the test targets. Use it as
/// `#expect(waitUntil { ... })` so a time-out fails the test instead of hanging it.
public func waitUntil(seconds: Double = 10, pollMilliseconds: Int = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicSeconds() + seconds
    while true {
        if try condition() { return true }
        if monotonicSeconds() >= deadline { return false }
        usleep(useconds_t(pollMilliseconds * 1000))
    }
}

/// The async form of `waitUntil` (sleeps with `Task.sleep`, so it never blocks a thread).
public func waitUntil(seconds: Double = 10, pollMilliseconds: Int = 10,
                      _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = monotonicSeconds() + seconds
    while true {
        if try await condition() { return true }
        if monotonicSeconds() >= deadline { return false }
        try await Task.sleep(for: .milliseconds(pollMilliseconds))
    }
}

/// CLOCK_MONOTONIC in seconds.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
