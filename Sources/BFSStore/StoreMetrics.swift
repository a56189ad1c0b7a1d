import Prometheus

/// The store's Prometheus metrics (served as text on the stat listener's `/metrics`).
///
/// Request counters and latency histograms per endpoint are created up front so the request path
/// only touches pre-built objects (one lock-free or short-locked update per request).
public final class StoreMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()

    /// The API and admin endpoints that get their own series.
    public enum Endpoint: String, CaseIterable, Sendable {
        case get, upload, uploads, del, probe
        case addFreeVolume = "add_free_volume", addVolume = "add_volume"
        case bulkVolume = "bulk_volume", compactVolume = "compact_volume"
        case info, metrics
    }

    /// Response status classes counted separately.
    public enum Outcome: String, CaseIterable, Sendable {
        case success = "2xx", clientError = "4xx", serverError = "5xx", limited = "limited"
    }

    private let requests: [Endpoint: [Outcome: Counter]]
    private let latency: [Endpoint: DurationHistogram]
    /// Needle bytes sent by `/get`.
    public let bytesRead: Counter
    /// Needle bytes accepted by uploads.
    public let bytesWritten: Counter
    /// Appends covered by one fdatasync (group-commit batch size).
    public let syncBatch: ValueHistogram
    /// Reads that missed the page cache and were served from a worker thread.
    public let coldReads: Counter

    public init() {
        let buckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        var requests: [Endpoint: [Outcome: Counter]] = [:]
        var latency: [Endpoint: DurationHistogram] = [:]
        for e in Endpoint.allCases {
            var byOutcome: [Outcome: Counter] = [:]
            for o in Outcome.allCases {
                byOutcome[o] = registry.makeCounter(descriptor: StoreMetrics.name("requests", "total", "Requests answered, by endpoint and status class."), labels: [("endpoint", e.rawValue), ("status", o.rawValue)])
            }
            requests[e] = byOutcome
            latency[e] = registry.makeDurationHistogram(descriptor: StoreMetrics.name("request_duration", "seconds", "Time from request head to the end of the answer, by endpoint."), labels: [("endpoint", e.rawValue)], buckets: buckets)
        }
        self.requests = requests
        self.latency = latency
        bytesRead = registry.makeCounter(descriptor: StoreMetrics.name("read_bytes", "total", "Needle data bytes served."))
        bytesWritten = registry.makeCounter(descriptor: StoreMetrics.name("written_bytes", "total", "Needle data bytes stored."))
        syncBatch = registry.makeValueHistogram(descriptor: StoreMetrics.name("sync_batch", "appends", "Writes made durable by one fdatasync (group commit)."), buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024])
        coldReads = registry.makeCounter(descriptor: StoreMetrics.name("cold_reads", "total", "Reads served off-loop after a page-cache miss."))
    }

    /// Counts one answered request and its latency.
    public func record(_ endpoint: Endpoint, status: Int, limited: Bool = false, elapsedNanos: UInt64) {
        let outcome: Outcome = limited ? .limited : status >= 500 ? .serverError : status >= 400 ? .clientError : .success
        requests[endpoint]?[outcome]?.increment()
        latency[endpoint]?.recordNanoseconds(Int64(clamping: elapsedNanos))
    }

    /// Sets the per-volume gauges just before rendering.
    public func setVolume(id: Int32, sizeBytes: Int64, needles: Int, deleted: Int, damaged: Int) {
        let labels = [("vid", String(id))]
        registry.makeGauge(descriptor: StoreMetrics.name("volume_size", "bytes", "Bytes used in the block file."), labels: labels).set(Double(sizeBytes))
        registry.makeGauge(descriptor: StoreMetrics.name("volume", "needles", "Live needles."), labels: labels).set(Double(needles))
        registry.makeGauge(descriptor: StoreMetrics.name("volume_deleted", "needles", "Deleted needles still occupying space."), labels: labels).set(Double(deleted))
        registry.makeGauge(descriptor: StoreMetrics.name("volume_damaged", "needles", "Needles found corrupt by recovery or the scrubber."), labels: labels).set(Double(damaged))
    }

    /// A `bfs_store_<metric>_<unit>` name with its help text.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bfs", subsystem: "store", metricName: metric, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
