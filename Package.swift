// swift-tools-version:6.0
// The product graph of bfs. Benchmarks live in Bench/ (their own package), so nothing here is
// benchmark-only. Each C library enters through exactly one Swift module (STYLE.md).
import PackageDescription

let package = Package(
    name: "bfs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bfs", targets: ["bfs"]),
        .library(name: "BFSCore", targets: ["BFSCore"]),
        .library(name: "BFSLoop", targets: ["BFSLoop"]),
        .library(name: "BFSHTTP", targets: ["BFSHTTP"]),
        .library(name: "BFSStorage", targets: ["BFSStorage"]),
        .library(name: "BFSCoordination", targets: ["BFSCoordination"]),
        .library(name: "BFSStore", targets: ["BFSStore"]),
        .library(name: "BFSMetadata", targets: ["BFSMetadata"]),
        .library(name: "BFSCluster", targets: ["BFSCluster"]),
        .library(name: "BFSDirectory", targets: ["BFSDirectory"]),
        .library(name: "BFSPitchfork", targets: ["BFSPitchfork"]),
        .library(name: "BFSProxy", targets: ["BFSProxy"]),
        .library(name: "BFSClient", targets: ["BFSClient"]),
        .library(name: "BFSOps", targets: ["BFSOps"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CUV", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CZooKeeper", providers: [.apt(["libzookeeper-mt-dev"])]),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPQ", providers: [.apt(["libpq-dev"])]),

        .target(name: "BFSCore", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "BFSLoop", dependencies: ["CUV", "BFSCore"]),
        .target(name: "BFSHTTP", dependencies: ["CHTTPParser", "BFSLoop", "BFSCore"]),
        .target(name: "BFSStorage", dependencies: ["BFSCore"]),
        .target(name: "BFSCoordination", dependencies: ["CZooKeeper", "BFSCore"]),
        .target(name: "BFSMetadata", dependencies: ["CSQLite", "CPQ", "BFSCore"]),
        .target(name: "BFSCluster", dependencies: [
            "BFSCore", "BFSCoordination",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BFSDirectory", dependencies: [
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSCoordination", "BFSCluster", "BFSMetadata",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BFSStore", dependencies: [
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSStorage", "BFSCoordination",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BFSPitchfork", dependencies: [
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSCoordination", "BFSCluster",
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BFSProxy", dependencies: [
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSMetadata",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The client of the proxy's public API (`bfs put|get|head|rm|ls`); BFSProxy only for
        // the bucket token it signs with.
        .target(name: "BFSClient", dependencies: [
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSProxy",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "BFSOps", dependencies: [
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSCoordination", "BFSCluster",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BFSUp", dependencies: ["BFSCore", "BFSCoordination", "BFSStore", "BFSPitchfork", "BFSDirectory", "BFSProxy", "BFSOps", "BFSMetadata",
                                              .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "bfs", dependencies: [
            "BFSUp", "BFSClient",
            "BFSCore", "BFSLoop", "BFSHTTP", "BFSStorage", "BFSCoordination", "BFSStore", "BFSPitchfork", "BFSDirectory", "BFSProxy", "BFSOps", "BFSMetadata",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "BFSCoreTests", dependencies: ["BFSCore"]),
        .testTarget(name: "BFSLoopTests", dependencies: ["BFSLoop", "BFSTestSupport"]),
        .testTarget(name: "BFSHTTPTests", dependencies: ["BFSHTTP", "BFSLoop", "BFSTestSupport"]),
        .testTarget(name: "BFSStorageTests", dependencies: ["BFSStorage", "BFSTestSupport"]),
        .testTarget(name: "BFSCoordinationTests", dependencies: ["BFSCoordination", "BFSTestSupport"]),
        .testTarget(name: "BFSMetadataTests", dependencies: ["BFSMetadata", "BFSCore", "BFSTestSupport"]),
        .testTarget(name: "BFSClusterTests", dependencies: ["BFSCluster", "BFSCoordination", "BFSTestSupport"]),
        .testTarget(name: "BFSDirectoryTests", dependencies: ["BFSDirectory", "BFSCluster", "BFSCoordination", "BFSMetadata", "BFSHTTP", "BFSLoop", "BFSTestSupport"]),
        .testTarget(name: "BFSStoreTests", dependencies: ["BFSStore", "BFSCore", "BFSTestSupport", "CMallocCounter"]),
        .testTarget(name: "BFSPitchforkTests", dependencies: ["BFSPitchfork", "BFSCluster", "BFSCoordination", "BFSTestSupport"]),
        .testTarget(name: "BFSProxyTests", dependencies: ["BFSProxy", "BFSHTTP", "BFSLoop", "BFSCore", "BFSMetadata", "BFSTestSupport",
                                                     "BFSDirectory", "BFSCluster", "BFSCoordination"]),
        .testTarget(name: "BFSClientTests", dependencies: ["BFSClient", "BFSProxy", "BFSHTTP", "BFSTestSupport"]),
        .testTarget(name: "BFSOpsTests", dependencies: ["BFSOps", "BFSCluster", "BFSCoordination", "BFSCore", "BFSHTTP", "BFSLoop",
                                                   "BFSTestSupport"]),
        .testTarget(name: "BFSUpTests", dependencies: ["BFSUp", "BFSProxy", "BFSOps", "BFSCore", "BFSTestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "BFSTestSupport", "BFSCoordination", "BFSHTTP", "BFSLoop", "BFSProxy", "BFSMetadata",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Test-only helpers shared by test targets (real ZooKeeper, PostgreSQL and nginx servers,
        // the fault-injecting file system).
        .target(name: "BFSTestSupport", dependencies: ["BFSStorage"], path: "Tests/Support"),
        // Test-only: counts heap allocations per thread (it defines malloc for the test
        // executable; see Tests/CMallocCounter/MallocCounter.c). Never a dependency of a product.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
    ]
)
