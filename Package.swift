// swift-tools-version: 6.1
import PackageDescription

/// Release builds skip dynamic exclusivity checks only where we measured them on the
/// hot path (DESIGN.md section 2); everything else keeps Swift's defaults.
let package = Package(
    name: "tenant-edge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tenant-edge", targets: ["tenant-edge"]),
        .library(name: "TenantContext", targets: ["TenantContext"]),
        // For the fuzz package (Fuzz/), which depends on this one by path.
        .library(name: "TenantEdgeCore", targets: ["TenantEdgeCore"]),
        .library(name: "TenantEdgeConfig", targets: ["TenantEdgeConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // The CSR for ACME orders (RFC 2986), built and signed with swift-crypto's keys.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // C bridges: each a module map over a one-line shim header.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl"),
        .systemLibrary(name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2"),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq"),
        .systemLibrary(name: "CResolv", path: "Sources/CResolv"),

        // Pure decisions: no sockets, no C, no packages.
        .target(name: "TenantEdgeCore"),
        // Signing and verifying the tenant-context header; no C dependencies so that
        // Swift backends can use the verifier anywhere Swift builds.
        .target(name: "TenantContext", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "TenantEdgeConfig", dependencies: [
            "TenantEdgeCore", "TenantContext",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "TenantEdgeMaster", dependencies: [
            "TenantEdgeCore", "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TenantEdgeServer", dependencies: [
            "TenantEdgeCore", "TenantContext", "CLinux", "COpenSSL", "CNGHTTP2",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Certificates on demand: the ACME client (RFC 8555), the sealed key store in the
        // master DB, and the issuance scheduler. Control plane only: nothing here runs on a worker.
        .target(name: "TenantEdgeACME", dependencies: [
            "TenantEdgeCore", "TenantEdgeMaster", "COpenSSL", "CResolv",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "tenant-edge", dependencies: [
            "TenantEdgeCore", "TenantContext", "TenantEdgeConfig", "TenantEdgeMaster", "TenantEdgeServer", "TenantEdgeACME", "CLinux",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "TenantEdgeCoreTests", dependencies: ["TenantEdgeCore"]),
        .testTarget(name: "TenantContextTests", dependencies: ["TenantContext"]),
        .testTarget(name: "TenantEdgeConfigTests", dependencies: ["TenantEdgeConfig"]),
        // The throwaway-schema helper both database test targets use.
        .target(name: "TenantEdgeTestSupport", dependencies: ["TenantEdgeMaster"], path: "Tests/TenantEdgeTestSupport"),
        .testTarget(name: "TenantEdgeMasterTests", dependencies: ["TenantEdgeMaster", "TenantEdgeTestSupport"]),
        .testTarget(name: "TenantEdgeACMETests", dependencies: [
            "TenantEdgeACME", "TenantEdgeMaster", "TenantEdgeTestSupport",
            .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
