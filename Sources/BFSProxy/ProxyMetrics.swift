import Prometheus

/// The proxy's Prometheus metrics (served as text on `/metrics`).
///
/// | Series | Labels | Meaning |
/// |---|---|---|
/// | `bfs_proxy_request_duration_seconds` | `method` (GET, HEAD, PUT, DELETE, LIST) | request head received to response head sent (bodies stream after) |
/// | `bfs_proxy_responses_total` | `method`, `class` (`2xx` ... `5xx`) | answers sent |
/// | `bfs_proxy_replica_failovers_total` | — | reads that moved on to another replica |
/// | `bfs_proxy_store_errors_total` | — | store calls that failed (transport, timeout, bad answer) |
/// | `bfs_proxy_directory_errors_total` | — | directory calls that failed (transport, timeout, bad answer) |
/// | `bfs_proxy_upload_retries_total` | — | PUTs retried on another group after a replica failed |
/// | `bfs_proxy_metadata_cache_{hits,misses}_total` | — | file lookups served from / not in the cache |
/// | `bfs_proxy_bucket_cache_{hits,misses}_total` | — | bucket lookups served from / not in the cache |
///
/// Every series exists from the start, so the request path only touches pre-built objects.
public final class ProxyMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()

    /// The request kinds with their own series.
    public enum Method: String, CaseIterable, Sendable {
        case get = "GET", head = "HEAD", put = "PUT", delete = "DELETE", list = "LIST"
    }

    private let responses: [Method: [Counter]]
    private let latency: [Method: DurationHistogram]
    /// Reads that moved on to another replica.
    public let replicaFailovers: Counter
    /// Failed store calls.
    public let storeErrors: Counter
    /// Failed directory calls.
    public let directoryErrors: Counter
    /// PUTs retried on another group.
    public let uploadRetries: Counter
    /// File lookups answered by the metadata cache.
    public let metadataCacheHits: Counter
    /// File lookups that went to the directory.
    public let metadataCacheMisses: Counter
    /// Bucket lookups answered by the bucket cache.
    public let bucketCacheHits: Counter
    /// Bucket lookups that went to the directory.
    public let bucketCacheMisses: Counter

    /// Builds every series.
    public init() {
        let buckets: [Duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .seconds(1), .seconds(5),
        ]
        var responses: [Method: [Counter]] = [:]
        var latency: [Method: DurationHistogram] = [:]
        let registry = self.registry
        for method in Method.allCases {
            responses[method] = (1...5).map { digit in
                registry.makeCounter(descriptor: Self.name("responses", "total", "Answers sent, by method and status class."),
                                     labels: [("method", method.rawValue), ("class", "\(digit)xx")])
            }
            latency[method] = registry.makeDurationHistogram(
                descriptor: Self.name("request_duration", "seconds", "Time from request head to answer, by method."),
                labels: [("method", method.rawValue)], buckets: buckets)
        }
        self.responses = responses
        self.latency = latency
        replicaFailovers = registry.makeCounter(descriptor: Self.name("replica_failovers", "total", "Reads that moved on to another replica."))
        storeErrors = registry.makeCounter(descriptor: Self.name("store_errors", "total", "Store calls that failed."))
        directoryErrors = registry.makeCounter(descriptor: Self.name("directory_errors", "total", "Directory calls that failed."))
        uploadRetries = registry.makeCounter(descriptor: Self.name("upload_retries", "total", "Uploads retried on another group."))
        metadataCacheHits = registry.makeCounter(descriptor: Self.name("metadata_cache_hits", "total", "File lookups served from the cache."))
        metadataCacheMisses = registry.makeCounter(descriptor: Self.name("metadata_cache_misses", "total", "File lookups sent to the directory."))
        bucketCacheHits = registry.makeCounter(descriptor: Self.name("bucket_cache_hits", "total", "Bucket lookups served from the cache."))
        bucketCacheMisses = registry.makeCounter(descriptor: Self.name("bucket_cache_misses", "total", "Bucket lookups sent to the directory."))
    }

    /// Counts one answer and its latency.
    public func record(_ method: Method, status: Int, elapsedNanos: UInt64) {
        let digit = min(max(status / 100, 1), 5)
        responses[method]?[digit - 1].increment()
        latency[method]?.recordNanoseconds(Int64(clamping: elapsedNanos))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bfs", subsystem: "proxy", metricName: metric, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
