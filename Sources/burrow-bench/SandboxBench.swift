import BurrowKit
import FoundationEssentials
import Glibc

/// The sandbox's costs: an egress proxy run on its own (the scripts put `burrow-forwarder` in front
/// of it, as inside a burrow), and the model endpoint's added latency per request.
enum SandboxBench {
    /// Serves one burrow's egress socket until killed.
    static func proxy(socket: String, allow: [String], resolve: [String: String], upstream: String?, key: String?) async throws {
        let model = upstream.map { ModelEndpoint(upstream: URL(string: $0)!, credential: Credential(value: key ?? "bench-key")) }
        let proxy = try EgressProxy(socketPath: socket, policy: EgressPolicy(allow: allow, resolve: resolve), model: model, allowPeer: { _ in true }) { _ in }
        Console.out("egress proxy on \(socket)")
        await proxy.run()
    }

    /// `requests` sequential POSTs on one keep-alive connection, to `target` at `address`; prints the
    /// median and p99 per request in ms.
    static func requestLatency(address: SocketAddress, target: String, requests: Int) async throws {
        let client = HTTPClient(address: address)
        var samples: [Double] = []
        for index in 0..<(requests + 20) {
            var request = ClientRequest("POST", target, headers: ["x-api-key": Credential.placeholder, "anthropic-version": "2023-06-01"],
                                        body: .bytes(Array(#"{"model":"claude","max_tokens":1,"messages":[]}"#.utf8), contentType: "application/json"))
            request.host = "127.0.0.1"
            let started = Monotonic.now()
            let response = try await client.send(request)
            guard response.status == 200 else { throw BenchFailure(reason: "status \(response.status): \(response.text)") }
            if index >= 20 { samples.append(Double(Monotonic.now() - started) / 1e6) }  // the first 20 warm up
        }
        samples.sort()
        Console.out("p50_ms=\(String(format3: samples[samples.count / 2])) p99_ms=\(String(format3: samples[samples.count * 99 / 100]))")
    }
}
