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
        .executableTarget(
            name: "bfs-bench-directory",
            dependencies: [
                .product(name: "BFSDirectory", package: "bfs"),
                .product(name: "BFSCoordination", package: "bfs"),
                .product(name: "BFSHTTP", package: "bfs"),
                .product(name: "BFSLoop", package: "bfs"),
                .product(name: "BFSCore", package: "bfs"),
                .product(name: "BFSMetadata", package: "bfs"),
            ],
            path: "directory/Sources/bfs-bench-directory"),
    ]
)
