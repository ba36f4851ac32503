// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

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
        .target(name: "BurrowKit", dependencies: ["CLinux"], swiftSettings: strict),
        .executableTarget(name: "burrow", dependencies: ["BurrowKit"], swiftSettings: strict),
        .executableTarget(name: "burrow-bench", dependencies: ["BurrowKit"], swiftSettings: strict),
        // Runs inside burrows whatever their image holds: static, Glibc (and the CLinux declarations) only.
        .executableTarget(name: "burrow-forwarder", dependencies: ["CLinux"], swiftSettings: strict,
                          linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .testTarget(name: "BurrowKitTests", dependencies: ["BurrowKit"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
