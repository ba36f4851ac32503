import BurrowKit
import Foundation
import Glibc
import BurrowSystem
import BurrowHTTP
import BurrowPodman
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The sandbox's costs: an egress proxy run on its own (the scripts put `burrow-forwarder` in front
/// of it, as inside a burrow), and the model endpoint's added latency per request.
enum SandboxBench {
    /// Serves one burrow's egress socket until killed.
    /// `intercept`: hosts whose CONNECTs are intercepted (rule `* /**`), upstream trusted with `extraCAs`;
    /// the box's CA bundle is written to `bundle`.
    static func proxy(socket: String, allow: [String], resolve: [String: String], upstream: String?, key: String?, budgetTokens: Int? = nil,
                      intercept: [String] = [], extraCAs: [String] = [], bundle: String? = nil) async throws {
        let model = upstream.map { ModelEndpoint(upstream: URL(string: $0)!, credential: Credential(value: key ?? "bench-key"),
                                                 budget: BudgetGate(limit: budgetTokens.map { Budget(tokens: $0) })) }
        let rules = try NetworkRules([Dictionary(uniqueKeysWithValues: intercept.map { ($0, ["* /**"]) })])
        let interception = intercept.isEmpty ? nil : try Interception(burrow: "bench", extraCAs: extraCAs)
        if let interception, let bundle { try FileSystem.writeAtomically(interception.trustBundle(), to: bundle) }
        let policy = EgressPolicy(allow: allow, resolve: resolve, rules: rules)
        let proxy = try EgressProxy(socketPath: socket, policy: policy, model: model, interception: interception, allowPeer: { _ in true }) { event in
            if budgetTokens != nil { Console.out("net \(event.phase.rawValue) \(event.method) \(event.path ?? "") status=\(event.status.map(String.init) ?? "-") usage=\(event.usage.map { "\($0.total)" } ?? "-") \(event.reason ?? "")") }
        }
        Console.out("egress proxy on \(socket)")
        await proxy.run()
    }

    /// `requests` sequential POSTs through one URLSession (its connection reused, TLS when https): the
    /// model endpoint's own way to the upstream, so "direct" costs what the endpoint's upstream leg costs.
    static func tlsLatency(url: String, requests: Int) async throws {
        let session = URLSession(configuration: .ephemeral)
        var samples: [Double] = []
        for index in 0..<(requests + 20) {
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("2023-06-01", forHTTPHeaderField: "anthropic-version")
            request.httpBody = Data(#"{"model":"claude","max_tokens":1,"messages":[]}"#.utf8)
            let started = Monotonic.now()
            let (_, response) = try await session.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw BenchFailure(reason: "status \(String(describing: (response as? HTTPURLResponse)?.statusCode))") }
            if index >= 20 { samples.append(Double(Monotonic.now() - started) / 1e6) }
        }
        samples.sort()
        Console.out("p50_ms=\(String(format3: samples[samples.count / 2])) p99_ms=\(String(format3: samples[samples.count * 99 / 100]))")
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
