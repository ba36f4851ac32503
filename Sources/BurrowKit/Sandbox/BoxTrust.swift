import BurrowSystem
import BurrowPodman

/// How a burrow trusts its own CA (for the hosts whose traffic its proxy intercepts): a bundle of
/// the host's CAs plus the burrow's, written beside its egress socket (so it arrives read-only with
/// that folder), named by the variables common tools read, and mounted over the image's system store.
enum BoxTrust {
    static let bundleName = "ca-bundle.crt"
    static var bundleInside: String { SandboxLayout.socketDirectory + "/" + bundleName }
    /// Debian's and Ubuntu's store, which OpenSSL, curl, git and Python read when no variable says otherwise.
    static let systemStore = "/etc/ssl/certs/ca-certificates.crt"
    static let variables = ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO",
                            "PIP_CERT", "CARGO_HTTP_CAINFO", "NPM_CONFIG_CAFILE", "AWS_CA_BUNDLE"]

    /// `services`: each credential service's placeholder goes into its variable.
    static func apply(_ spec: inout ContainerSpec, socketDirectory: String, services: [ServiceCredential] = [], burrow: String = "") {
        for name in variables { spec.env[name] = bundleInside }
        for service in services { spec.env[service.placeholder] = service.placeholderValue(burrow: burrow) }
        spec.mounts.append(.bind(socketDirectory + "/" + bundleName, at: systemStore))
    }
}

extension BurrowManager {
    /// The burrow's CA, made afresh each time its proxy opens, and the bundle its box trusts.
    func interception(for id: String, folder: String, repo: RepoConfig) throws -> Interception {
        let interception = try Interception(burrow: id, extraCAs: config.network.extraCAs,
                                            services: ServiceCredential.services(config.credentials, repo: repo))
        // In place: a running box (Burrow restarted under it) has this very file mounted over its system store.
        try FileSystem.overwrite(interception.trustBundle(), to: folder + "/" + BoxTrust.bundleName, mode: 0o644)
        return interception
    }
}
