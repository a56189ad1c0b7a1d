// swift-tools-version:6.0
// libFuzzer targets for bfs's parsers, kept out of the root package. Built with -sanitize=fuzzer
// (coverage instrumentation, libFuzzer linked) and -enable-testing (the HTTP request parser is
// internal to BFSHTTP); run.sh passes both. SwiftPM gives every executable a main of its own, so
// each target's main.swift starts libFuzzer through LLVMFuzzerRunDriver with the same callback
// it exports as LLVMFuzzerTestOneInput. Seeds: Tests/Fixtures/fuzz/<target>.
import PackageDescription

let package = Package(
    name: "bfs-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "bfs", path: "../.."),
    ],
    targets: [
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(name: "fuzz-http-request", dependencies: ["CLibFuzzer", .product(name: "BFSHTTP", package: "bfs")]),
        .executableTarget(name: "fuzz-multipart", dependencies: ["CLibFuzzer", .product(name: "BFSHTTP", package: "bfs")]),
        .executableTarget(name: "fuzz-storage-formats", dependencies: ["CLibFuzzer", .product(name: "BFSStorage", package: "bfs")]),
    ]
)
