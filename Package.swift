// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]
// burrow-forwarder is static so it runs in any image. Sanitizer builds cannot link a static executable:
// scripts/sanitize.sh sets BURROW_DYNAMIC_FORWARDER and lends the tests the normal static build.
let forwarderLinking: [LinkerSetting] = Context.environment["BURROW_DYNAMIC_FORWARDER"] == nil ? [.unsafeFlags(["-static-executable"])] : []

let package = Package(
    name: "Burrow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "burrow", targets: ["burrow"]),
        .executable(name: "burrow-bench", targets: ["burrow-bench"]),
        .executable(name: "burrow-forwarder", targets: ["burrow-forwarder"]),
        .library(name: "BurrowKit", targets: ["BurrowKit"]),
    ],
    targets: [
        .target(name: "CLinux"),
        // The layers, each a target so that an arrow back up does not compile:
        // system (syscalls, sockets, files) → HTTP (server, client, SSE) → Podman client → BurrowKit
        // (sandbox, the repository's crossing, the burrow lifecycle, routes, commands).
        .target(name: "BurrowSystem", dependencies: ["CLinux"], swiftSettings: strict),
        .target(name: "BurrowHTTP", dependencies: ["BurrowSystem"], swiftSettings: strict),
        .target(name: "BurrowPodman", dependencies: ["BurrowHTTP", "BurrowSystem"], swiftSettings: strict),
        .target(name: "BurrowKit", dependencies: ["CLinux", "BurrowSystem", "BurrowHTTP", "BurrowPodman"], swiftSettings: strict),
        .executableTarget(name: "burrow", dependencies: ["BurrowKit"], swiftSettings: strict),
        .executableTarget(name: "burrow-bench", dependencies: ["BurrowKit"], swiftSettings: strict),
        // Runs inside burrows whatever their image holds: static, Glibc (and the CLinux declarations) only.
        .executableTarget(name: "burrow-forwarder", dependencies: ["CLinux"], swiftSettings: strict,
                          linkerSettings: forwarderLinking),
        .testTarget(name: "BurrowKitTests", dependencies: ["BurrowKit", "BurrowSystem", "BurrowHTTP", "BurrowPodman"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

