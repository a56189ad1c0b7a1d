import BFSLoop
import Glibc

/// The `Date` and `Server` header lines, formatted once per second per loop (RFC 9110 §5.6.7).
final class HTTPDateCache {
    /// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: bfs\r\n", ready to copy into a head.
    private(set) var lines: [UInt8] = []
    private var timer: LoopTimer?

    init(loop: EventLoop) {
        refresh()
        timer = loop.scheduleTimer(after: 1000, repeating: 1000) { [weak self] in self?.refresh() }
    }

    func close() {
        timer?.close()
        timer = nil
    }

    private func refresh() {
        lines = Array("Date: \(Self.format(time(nil)))\r\nServer: bfs\r\n".utf8)
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static func format(_ t: time_t) -> String {
        var t = t
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
