import Glibc
import Synchronization

/// One line of a transfer's progress bar: label, bar, bytes done of total, percentage, rate.
///
/// `cat.jpg  [=========>          ]  1.5 MiB / 3.0 MiB   50%  12.0 MiB/s`
///
/// Pure: the same bytes, total, elapsed time and width always give the same text, so the
/// rendering is tested without a clock or a terminal. Without a total (a stream of unknown
/// size) the bar and percentage are left out.
public struct ProgressRenderer: Sendable {
    /// Terminal columns the line may use.
    public var width: Int

    /// A renderer for a terminal `width` columns wide.
    public init(width: Int) {
        self.width = width
    }

    /// The line for `bytes` of `total` done after `elapsed` seconds, at most `width` columns
    /// (padded with spaces so it overwrites a longer earlier line).
    public func render(label: String, bytes: Int, total: Int?, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        var figures = "  " + Self.size(bytes)
        if let total { figures += " / " + Self.size(total) }
        if let total {
            let percent = total > 0 ? min(100, bytes * 100 / total) : 100
            figures += "  " + String(repeating: " ", count: 3 - min(3, String(percent).count)) + "\(percent)%"
        }
        figures += "  " + Self.size(Int(rate)) + "/s"
        var line = label
        let barRoom = width - label.count - figures.count - 4
        if let total, barRoom >= 10 {
            let filled = total > 0 ? min(barRoom, barRoom * bytes / total) : barRoom
            let arrow = filled < barRoom && filled > 0 ? ">" : ""
            let body = String(repeating: "=", count: max(0, filled - arrow.count)) + arrow
            line += "  [" + body + String(repeating: " ", count: barRoom - body.count) + "]"
        }
        line += figures
        if line.count > width { line = String(line.prefix(width)) }
        return line + String(repeating: " ", count: max(0, width - line.count))
    }

    /// A byte count in B, KiB, MiB or GiB with one decimal above bytes.
    public static func size(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

/// Draws a transfer's progress on a terminal, at most once per `interval`, and a final line at
/// the end. Safe from any thread (bytes arrive on the loop thread or a writer thread).
public final class ProgressReporter: Sendable {
    /// Transfers smaller than this show no bar (they are over before one would help).
    public static let threshold = 1 << 20

    private struct State {
        var bytes = 0
        var lastDraw: UInt64?
        var finished = false
    }

    private let label: String
    private let total: Int?
    private let renderer: ProgressRenderer
    private let interval: UInt64
    private let clock: @Sendable () -> UInt64
    private let output: @Sendable (String) -> Void
    private let start: UInt64
    private let state = Mutex(State())

    /// A reporter for `total` bytes (nil when unknown).
    ///
    /// - Parameters:
    ///   - clock: monotonic nanoseconds (injected so tests are deterministic).
    ///   - interval: least nanoseconds between two drawings.
    ///   - output: receives each drawing, starting with `\r` (the final one ends with `\n`).
    public init(label: String, total: Int?, width: Int, interval: UInt64 = 200_000_000,
                clock: @escaping @Sendable () -> UInt64 = ProgressReporter.monotonicNanoseconds,
                output: @escaping @Sendable (String) -> Void = ProgressReporter.writeToStandardError)
    {
        self.label = label
        self.total = total
        renderer = ProgressRenderer(width: width)
        self.interval = interval
        self.clock = clock
        self.output = output
        start = clock()
    }

    /// Whether a transfer of `total` bytes gets a bar: over the threshold (or of unknown size)
    /// and on a terminal, or `forced` by the user.
    public static func isWanted(total: Int?, standardErrorIsTerminal: Bool, forced: Bool) -> Bool {
        forced || (standardErrorIsTerminal && (total ?? Int.max) > threshold)
    }

    /// Counts `count` more bytes done and draws if the last drawing is old enough.
    public func advance(by count: Int) {
        let now = clock()
        let line: String? = state.withLock { state in
            state.bytes += count
            guard !state.finished else { return nil }
            if let last = state.lastDraw, now &- last < interval { return nil }
            state.lastDraw = now
            return draw(bytes: state.bytes, now: now)
        }
        if let line { output("\r" + line) }
    }

    /// Draws the final line and ends it (once; later calls do nothing).
    public func finish() {
        let now = clock()
        let line: String? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            return draw(bytes: state.bytes, now: now)
        }
        if let line { output("\r" + line + "\n") }
    }

    /// Bytes counted so far.
    public var bytes: Int { state.withLock { $0.bytes } }

    private func draw(bytes: Int, now: UInt64) -> String {
        renderer.render(label: label, bytes: bytes, total: total, elapsed: Double(now &- start) / 1e9)
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Writes `text` to file descriptor 2 as is (no buffering, so a bar shows at once).
    public static func writeToStandardError(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The terminal's width from `COLUMNS` or the standard error terminal, else 80.
    public static func terminalWidth(environment: [String: String]) -> Int {
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns > 20 { return columns }
        var size = winsize()
        if ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return Int(size.ws_col) }
        return 80
    }
}
