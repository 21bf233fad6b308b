// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// Fuzz targets, kept out of the main package so its build and CI are not slowed by them.
/// Built by `scripts/fuzz` with libFuzzer and AddressSanitizer:
///   swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
/// Each `fuzz-*` executable is one libFuzzer target; `FuzzChecks` holds the invariants they
/// check, so `fuzz-replay` (a plain executable, no libFuzzer) can run the same checks over the
/// corpus and deterministic mutations of it where libFuzzer is not available.

/// A path dependency's identity is its folder's name, which differs between checkouts
/// (`main`, a worktree, CI's folder), so it is read from where this manifest sits.
let mainPackage = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let targets = ["http1", "chunked", "host", "proxy-protocol", "config", "route-rows"]

let package = Package(
    name: "tenant-edge-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .target(name: "FuzzChecks", dependencies: [
            .product(name: "TenantEdgeCore", package: mainPackage),
            .product(name: "TenantEdgeConfig", package: mainPackage),
        ]),
        .executableTarget(name: "fuzz-replay", dependencies: ["FuzzChecks"]),
    ] + targets.map { .executableTarget(name: "fuzz-\($0)", dependencies: ["FuzzChecks"]) },
    swiftLanguageModes: [.v6]
)
