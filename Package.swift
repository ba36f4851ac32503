// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]
// burrow-forwarder is static so it runs in any image. Sanitizer builds cannot link a static executable:
// scripts/sanitize.sh sets BURROW_DYNAMIC_FORWARDER and lends the tests the normal static build.
let staticLinking = Context.environment["BURROW_DYNAMIC_FORWARDER"] == nil
let forwarderLinking: [LinkerSetting] = staticLinking ? [.unsafeFlags(["-static-executable"])] : []
// `burrow` carries its Swift runtime and FoundationEssentials inside: no relocations of a dozen shared
// libraries at start, 13 MiB idle instead of 16 (benchmarks/http.sh). lld, because gold warns about
// a `mktemp` inside FoundationEssentials that Burrow never calls.
let serverLinking: [LinkerSetting] = staticLinking
    ? [.unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims", "-use-ld=lld"])] : []

let package = Package(
    name: "Burrow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "burrow", targets: ["burrow"]),
        .executable(name: "burrow-bench", targets: ["burrow-bench"]),
        .executable(name: "burrow-forwarder", targets: ["burrow-forwarder"]),
        .executable(name: "burrow-vault", targets: ["burrow-vault"]),
        .library(name: "BurrowKit", targets: ["BurrowKit"]),
    ],
    targets: [
        .target(name: "CLinux"),
        // The layers, each a target so that an arrow back up does not compile:
        // system (syscalls, sockets, files) → HTTP (server, client, SSE) → Podman client → BurrowKit, the
        // core (config, sandbox, the repository's crossing, the burrow lifecycle) → BurrowWeb (routes,
        // access control, static files) → BurrowCommands (serve, doctor, gc, image, devcontainer).
        .target(name: "BurrowSystem", dependencies: ["CLinux"], swiftSettings: strict),
        .target(name: "BurrowHTTP", dependencies: ["BurrowSystem"], swiftSettings: strict),
        .target(name: "BurrowPodman", dependencies: ["BurrowHTTP", "BurrowSystem"], swiftSettings: strict),
        // TLS and X.509 from OpenSSL (Debian's libssl-dev), never by hand: all its unsafe calls are in
        // BurrowTLS, below the core, so that the forwarder, the vault and the lower layers never link it.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "BurrowTLS", dependencies: ["COpenSSL", "BurrowSystem"], swiftSettings: strict),
        .target(name: "BurrowKit", dependencies: ["CLinux", "BurrowSystem", "BurrowHTTP", "BurrowPodman", "BurrowTLS"], swiftSettings: strict),
        .target(name: "BurrowWeb", dependencies: ["BurrowSystem", "BurrowHTTP", "BurrowPodman", "BurrowKit"], swiftSettings: strict),
        .target(name: "BurrowCommands", dependencies: ["CLinux", "BurrowSystem", "BurrowHTTP", "BurrowPodman", "BurrowKit", "BurrowWeb"],
                swiftSettings: strict),
        .executableTarget(name: "burrow", dependencies: ["BurrowCommands"], swiftSettings: strict, linkerSettings: serverLinking),
        .executableTarget(name: "burrow-bench", dependencies: ["BurrowKit", "BurrowWeb"], swiftSettings: strict),
        // Runs inside burrows whatever their image holds: static, Glibc (and the CLinux declarations) only.
        .executableTarget(name: "burrow-forwarder", dependencies: ["CLinux"], swiftSettings: strict,
                          linkerSettings: forwarderLinking),
        // Holds the real credential and makes the model's upstream requests (URLSession for TLS), so that
        // Foundation's networking and the key stay out of Burrow's own process.
        .executableTarget(name: "burrow-vault", dependencies: ["BurrowSystem", "BurrowHTTP"], swiftSettings: strict),
        // Tests by tier. BurrowFastTests: pure logic, sockets and parsers; no Podman, no container, no
        // server (`swift test --filter BurrowFastTests`, seconds). BurrowKitTests: everything that
        // needs the real rootless Podman, the SSH runner or the agent image (scripts/test-env.sh).
        .testTarget(name: "BurrowFastTests", dependencies: ["BurrowKit", "BurrowSystem", "BurrowHTTP", "BurrowPodman", "BurrowWeb", "BurrowCommands"],
                    swiftSettings: strict),
        .testTarget(name: "BurrowKitTests", dependencies: ["BurrowKit", "BurrowSystem", "BurrowHTTP", "BurrowPodman", "BurrowTLS", "BurrowWeb", "BurrowCommands"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

