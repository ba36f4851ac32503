import BurrowSystem

extension EgressProxy {
    /// A request the policy refuses: nil when it may go on after all (a person allowed it, now or
    /// earlier for this burrow), else the reason and who decided. Only names are asked about: an
    /// address or a malformed name is refused as before. The connection stays open while it waits
    /// and so counts against `network.maxConnections`.
    func askOrRefuse(_ host: String, _ port: UInt16, _ method: String, _ path: String?, _ refusal: String) async -> (String, String)? {
        guard let asks, policy.mayAsk(host: host) else { return (refusal, "policy") }
        switch await asks.ask(host: host, port: port, method: method, path: path) {
        case .allowed: return nil
        case .denied(let decidedBy, let reason): return (reason, decidedBy)
        }
    }

    /// A request `network.rules` refuse: nil when a person allowed it (now, or this method and
    /// path earlier for this burrow); else the reason and who decided ("rule" when no one is asked:
    /// a matching `deny` entry is never asked about, only a request no allow entry matches).
    func askAboutRequest(_ host: String, _ port: UInt16, _ method: String, _ path: String) async -> (String, String)? {
        guard let asks, policy.mayAsk(host: host), !policy.rules.denies(host: host, port: port, method: method, target: Array(path.utf8)) else {
            return ("refused by network.rules", "rule")
        }
        switch await asks.askRequest(host: host, port: port, method: method, path: path) {
        case .allowed: return nil
        case .denied(let decidedBy, let reason): return (reason, decidedBy)
        }
    }
}

extension EgressPolicy {
    /// A valid host name (not an address) that a person could allow; never the model's upstream,
    /// which is reached only through the model endpoint (a click must not open a way around it).
    func mayAsk(host: String) -> Bool {
        let name = host.lowercased()
        return HostPattern.isHostName(Substring(name)) && !SocketAddress.isIPv4(name) && AddressClass(address: name) == nil
            && !modelHosts.contains(name)
    }
}
