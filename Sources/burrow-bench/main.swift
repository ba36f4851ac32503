import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Benchmark helpers, run by the scripts in benchmarks/ (never by CI).
///   burrow-bench sse-server  --port P                       a server with one event stream
///   burrow-bench sse-clients --port P --clients N --events E  N clients that must each get E events
///   burrow-bench podman-lifecycle --socket S --image I --runs N   create/start/wait/remove times (ms)
///   burrow-bench podman-logs --socket S --image I --mib N          log throughput through the demultiplexer
///   burrow-bench first-output --port P --token T --repo R --runs N  POST to first agent event, ms
///   burrow-bench egress-proxy --socket PATH --allow H:P[,…] --resolve NAME=IP[,…] [--upstream URL --key K]
///                             [--intercept H:P[,…] --extra-ca PEM --bundle OUT]   TLS interception (benchmarks/interception.sh)
///   burrow-bench request-latency --address HOST:PORT --target PATH --requests N   POST latency p50/p99 (ms)
///   burrow-bench repo-scale --port P --token T --repo R --runs N   POST → first event and agent → end (work home), ms
///   burrow-bench tls-latency --url https://… --requests N    the same with URLSession (TLS, one reused connection)
///   burrow-bench flood-latency --port P --token T --repo R --count N --size B [--repeat K]  container→SSE latency
///   burrow-bench many-at-once --port P --token T --repo R --burrows N --seconds S --lines L --limit SECONDS
///                                                   N floods at once: line→SSE delay, lost lines, ends
let arguments = Array(CommandLine.arguments.dropFirst())

func value(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else { return fallback }
    return number
}

func text(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

switch arguments.first {
case "sse-server":
    try await SSEBench.server(port: UInt16(value("--port", 7900)))
case "sse-clients":
    let ok = try await SSEBench.clients(port: UInt16(value("--port", 7900)), clients: value("--clients", 1000), events: value("--events", 100))
    if !ok { throw BenchFailure(reason: "some clients missed events") }
case "podman-lifecycle":
    try await PodmanBench.lifecycle(socket: text("--socket") ?? "auto", image: text("--image") ?? "localhost/burrow-test-agent:latest", runs: value("--runs", 20))
case "podman-logs":
    try await PodmanBench.logs(socket: text("--socket") ?? "auto", image: text("--image") ?? "localhost/burrow-test-agent:latest", mib: value("--mib", 200))
case "podman-attach":
    try await PodmanBench.attach(socket: text("--socket") ?? "auto", image: text("--image") ?? "localhost/burrow-test-agent:latest", mib: value("--mib", 200))
case "first-output":
    try await LifecycleBench.firstOutput(port: UInt16(value("--port", 7991)), token: text("--token") ?? "bench-token",
                                         repo: text("--repo") ?? "demo", runs: value("--runs", 10))
case "repo-scale":
    try await RepoScaleBench.run(port: UInt16(value("--port", 7993)), token: text("--token") ?? "bench-token",
                                 repo: text("--repo") ?? "demo", runs: value("--runs", 1))
case "many-at-once":
    try await ManyAtOnceBench.run(port: UInt16(value("--port", 7993)), token: text("--token") ?? "bench-token", repo: text("--repo") ?? "many",
                                  burrows: value("--burrows", 32), seconds: value("--seconds", 10), expectedPerBurrow: value("--lines", 10_000),
                                  limit: value("--limit", 300))
case "flood-latency":
    try await LifecycleBench.flood(port: UInt16(value("--port", 7991)), token: text("--token") ?? "bench-token",
                                   repo: text("--repo") ?? "flood", count: value("--count", 51200), size: value("--size", 1024),
                                   repeat: value("--repeat", 1))
case "egress-proxy":
    MemoryTuning.returnLargeBlocksWhenFreed()
    let resolve = (text("--resolve") ?? "").split(separator: ",").reduce(into: [String: String]()) { map, pair in
        let parts = pair.split(separator: "=")
        if parts.count == 2 { map[String(parts[0])] = String(parts[1]) }
    }
    try await SandboxBench.proxy(socket: text("--socket") ?? "/tmp/burrow-bench-proxy.sock",
                                 allow: (text("--allow") ?? "").split(separator: ",").map(String.init), resolve: resolve,
                                 upstream: text("--upstream"), key: text("--key"), budgetTokens: text("--budget-tokens").flatMap { Int($0) },
                                 intercept: (text("--intercept") ?? "").split(separator: ",").map(String.init),
                                 extraCAs: (text("--extra-ca") ?? "").split(separator: ",").map(String.init), bundle: text("--bundle"))
case "tls-latency":
    try await SandboxBench.tlsLatency(url: text("--url") ?? "https://127.0.0.1:7984/v1/messages", requests: value("--requests", 500))
case "request-latency":
    try await SandboxBench.requestLatency(address: try SocketAddress(parsing: text("--address") ?? "127.0.0.1:3999"),
                                          target: text("--target") ?? "/v1/messages", requests: value("--requests", 500))
default:
    Console.error("usage: burrow-bench sse-server --port P | sse-clients --port P --clients N --events E")
}

struct BenchFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
