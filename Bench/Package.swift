// swift-tools-version:6.0
// Benchmarks for bfs, kept out of the root package so it carries no benchmark-only products.
// Build: swift build -c release --package-path Bench
import PackageDescription

let package = Package(
    name: "bfs-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bfs", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "bfs-bench-server",
            dependencies: [
                .product(name: "BFSHTTP", package: "bfs"),
                .product(name: "BFSLoop", package: "bfs"),
            ],
            path: "micro/Sources/bfs-bench-server"),
    ]
)
