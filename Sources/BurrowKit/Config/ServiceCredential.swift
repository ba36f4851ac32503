import BurrowSystem

/// `credentials.services[]`: a secret for one service that its burrows use without holding it. The
/// box gets a placeholder in `placeholder` (a variable name); the egress proxy, which intercepts the
/// service's `hosts`, presents the real secret in place of the placeholder there only (`header` with
/// `format`, or HTTP basic with `basic.username` for git) and refuses the placeholder anywhere else.
public struct ServiceCredential: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        /// A variable of Burrow's own environment.
        public var env: String?
        /// A file holding the secret (surrounding whitespace dropped).
        public var file: String?
        /// A program and its arguments, run on the host without a shell (`["gh", "auth", "token"]`); its
        /// standard output is the secret.
        public var command: [String]?
        /// Seconds `command` may take (default 10).
        public var timeoutSeconds: Int?

        public init(env: String? = nil, file: String? = nil, command: [String]? = nil, timeoutSeconds: Int? = nil) {
            self.env = env
            self.file = file
            self.command = command
            self.timeoutSeconds = timeoutSeconds
        }
    }

    public struct Basic: Codable, Sendable, Equatable {
        public var username: String
        public init(username: String) { self.username = username }
    }

    public var name: String
    public var hosts: [String]
    public var header: String?
    /// The header's value, `{secret}` standing for the secret (`Bearer {secret}`).
    public var format: String?
    public var basic: Basic?
    public var source: Source
    public var placeholder: String

    public init(name: String, hosts: [String], header: String? = nil, format: String? = nil, basic: Basic? = nil, source: Source, placeholder: String) {
        self.name = name
        self.hosts = hosts
        self.header = header
        self.format = format
        self.basic = basic
        self.source = source
        self.placeholder = placeholder
    }

    /// The services a burrow of `repo` gets: all, or the repo's narrower choice.
    static func services(_ credentials: CredentialsConfig, repo: RepoConfig) -> [ServiceCredential] {
        let all = credentials.services ?? []
        guard let chosen = repo.credentialServices else { return all }
        return all.filter { chosen.contains($0.name) }
    }

    /// What the box finds in `placeholder`: unique to the burrow and the service, worthless outside
    /// the burrow's own proxy.
    public func placeholderValue(burrow: String) -> String {
        let mac = (try? HMACSHA256.authenticate(Array(name.utf8), key: Array(burrow.utf8))) ?? Array((burrow + name).utf8)
        return "burrow-placeholder-" + HMACSHA256.hex(mac).prefix(32)
    }

    func validate(_ field: String) throws(ConfigError) {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw ConfigError(field: field + ".name", reason: "'\(name)' must be lowercase letters, digits, - and _")
        }
        guard !hosts.isEmpty else { throw ConfigError(field: field + ".hosts", reason: "name at least one host the secret may go to") }
        for host in hosts where HostPattern(host) == nil {
            throw ConfigError(field: field + ".hosts", reason: "'\(host)' is not a host, *.suffix or host:port")
        }
        switch (header, format, basic) {
        case (let header?, let format?, nil):
            guard !header.isEmpty, header.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw ConfigError(field: field + ".header", reason: "'\(header)' is not a header name")
            }
            guard format.contains("{secret}"), !format.contains("\r"), !format.contains("\n") else {
                throw ConfigError(field: field + ".format", reason: "must contain {secret} on one line, like \"Bearer {secret}\"")
            }
        case (nil, nil, let basic?):
            guard !basic.username.isEmpty, !basic.username.contains(":") else {
                throw ConfigError(field: field + ".basic.username", reason: "must be a non-empty name without ':'")
            }
        default:
            throw ConfigError(field: field, reason: "give either \"header\" and \"format\", or \"basic\": {\"username\": …}")
        }
        let sources = [source.env != nil, source.file != nil, source.command != nil].filter { $0 }.count
        guard sources == 1 else { throw ConfigError(field: field + ".source", reason: "give exactly one of \"env\", \"file\" or \"command\"") }
        if let command = source.command, command.first?.isEmpty ?? true {
            throw ConfigError(field: field + ".source.command", reason: "must name a program (no shell: [\"gh\", \"auth\", \"token\"])")
        }
        if let seconds = source.timeoutSeconds, !(1...300).contains(seconds) {
            throw ConfigError(field: field + ".source.timeoutSeconds", reason: "must be from 1 to 300, not \(seconds)")
        }
        guard !placeholder.isEmpty, placeholder.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }),
              !SandboxLayout.secretNames.contains(placeholder) else {
            throw ConfigError(field: field + ".placeholder", reason: "'\(placeholder)' must be an upper-case variable name (GITHUB_TOKEN)")
        }
    }
}
