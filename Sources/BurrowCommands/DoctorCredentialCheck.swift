import BurrowSystem
import BurrowKit

/// `burrow doctor`'s look at the model credential: configured, readable, and tried for real with one
/// `GET /v1/models` through the vault, as a burrow's calls go.
public enum DoctorCredentialCheck {
    public static func findings(_ config: Config) async -> [DoctorFinding] {
        guard let source = config.credentials.anthropic else {
            if let missing = ModelAccess.missingCredentials(config), case .invalid(let text, let fix) = missing {
                return [DoctorFinding(.fail, "credential", text + " (launches are refused)", fix: fix)]
            }
            return [DoctorFinding(.warn, "credential", "no credentials.anthropic: agents in burrows cannot call the model",
                                  fix: #"add "credentials": {"anthropic": {"env": "ANTHROPIC_API_KEY"}} to the config"#)]
        }
        let from = source.env.map { "$" + $0 } ?? source.file ?? ""
        let credential: Credential
        do {
            credential = try Credential.load(source)
        } catch {
            return [DoctorFinding(.fail, "credential", "\(error)")]
        }
        let vault = ModelVault.defaultExecutable()
        guard FileSystem.status(vault)?.isRegular == true else {
            return [DoctorFinding(.fail, "vault", "burrow-vault not found at \(vault)", fix: "swift build -c release (it is built beside burrow)")]
        }
        let upstream = config.credentials.resolvedUpstream
        let kind = credential.isOAuth ? "OAuth token" : "API key"
        var findings = [DoctorFinding(.ok, "vault", "\(vault): the one process that holds the key and calls the upstream")]
        switch await ModelAccess.check(config) {
        case .accepted(let status)?:
            findings.append(DoctorFinding(.ok, "credential", "\(kind) from \(from) accepted by \(upstream) (GET /v1/models: \(status)); burrows get a placeholder, the model endpoint adds it"))
        case .refused(let status, let message)?:
            findings.append(DoctorFinding(.fail, "credential", "\(kind) from \(from): the key was refused (\(status)) by \(upstream)\(message.isEmpty ? "" : ": " + message)",
                                          fix: "put a valid key in \(from) (an API key from console.anthropic.com, or the token `claude setup-token` prints), or correct credentials.upstream"))
        case let verdict?:
            findings.append(DoctorFinding(.warn, "credential", "\(kind) from \(from), not confirmed: \(verdict)",
                                          fix: "check that this machine reaches \(upstream) (proxy, firewall) or correct credentials.upstream"))
        case nil:
            break
        }
        return findings
    }
}
