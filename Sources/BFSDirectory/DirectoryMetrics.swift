import Prometheus

/// The directory's Prometheus metrics (served as text on `/metrics`).
///
/// Series are created up front so the request path only touches pre-built objects.
public final class DirectoryMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()

    /// The endpoints that get their own series.
    public enum Endpoint: String, CaseIterable, Sendable {
        case get, upload, del, allocate, commit, abort, list, bucket, buckets, metrics
    }

    private let requests: [Endpoint: [Bool: Counter]]
    private let latency: [Endpoint: DurationHistogram]
    /// Allocations the reaper aborted after their timeout.
    public let reapedAllocations: Counter
    /// Tombstones every replica confirmed.
    public let confirmedTombstones: Counter
    /// Tombstone delete rounds that failed on some replica and were postponed.
    public let postponedTombstones: Counter

    /// Builds every series.
    public init() {
        let buckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        var requests: [Endpoint: [Bool: Counter]] = [:]
        var latency: [Endpoint: DurationHistogram] = [:]
        for e in Endpoint.allCases {
            requests[e] = [
                true: registry.makeCounter(descriptor: Self.name("requests", "total", "Requests answered, by endpoint and whether ret was 1."),
                                           labels: [("endpoint", e.rawValue), ("ok", "true")]),
                false: registry.makeCounter(descriptor: Self.name("requests", "total", "Requests answered, by endpoint and whether ret was 1."),
                                            labels: [("endpoint", e.rawValue), ("ok", "false")]),
            ]
            latency[e] = registry.makeDurationHistogram(descriptor: Self.name("request_duration", "seconds", "Time from request head to answer, by endpoint."),
                                                        labels: [("endpoint", e.rawValue)], buckets: buckets)
        }
        self.requests = requests
        self.latency = latency
        reapedAllocations = registry.makeCounter(descriptor: Self.name("reaped_allocations", "total", "Pending allocations aborted after their timeout."))
        confirmedTombstones = registry.makeCounter(descriptor: Self.name("confirmed_tombstones", "total", "Deleted needles every replica confirmed."))
        postponedTombstones = registry.makeCounter(descriptor: Self.name("postponed_tombstones", "total", "Tombstone delete rounds that failed and wait for a retry."))
    }

    /// Counts one answered request and its latency.
    public func record(_ endpoint: Endpoint, ok: Bool, elapsedNanos: UInt64) {
        requests[endpoint]?[ok]?.increment()
        latency[endpoint]?.recordNanoseconds(Int64(clamping: elapsedNanos))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bfs", subsystem: "directory", metricName: metric, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
