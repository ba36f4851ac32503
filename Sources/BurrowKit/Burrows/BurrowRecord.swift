import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// Everything Burrow knows about one burrow; saved as `<stateDir>/burrows/<id>/record.json`.
public struct BurrowRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case queued, preparing, running, succeeded, failed, stopped
        public var isFinal: Bool { self == .succeeded || self == .failed || self == .stopped }
    }

    public var id: String
    public var repo: String
    public var task: String
    public var gpu: Bool
    public var state: State
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var exitCode: Int32?
    public var result: String?
    public var costUSD: Double?
    public var turns: Int?
    public var durationMs: Int?
    public var sessionID: String?
    public var container: String
    public var workspaceVolume: String
    /// The conversation: turn 1 is the task; each message adds one, in a fresh container on the same
    /// workspace, resuming the agent's session (kept on `configVolume`).
    public var turn = 1
    /// The message of the current turn (nil for the first, whose text is `task`).
    public var message: String?
    /// Messages sent while a turn runs, taken in order when it ends.
    public var queuedMessages: [String] = []
    /// Event sequence just before the current turn's output (its container's lines come after).
    public var turnStart = 0
    public var turnCosts: [Double] = []
    /// The result branch's head: each later turn adds one commit on top.
    public var resultHead: String?
    public var baseCommit: String?
    /// The branch, tag or commit the user chose at launch (nil: the repo's `ref` or HEAD).
    public var baseRef: BaseChoice?
    /// The branch the workspace is on (the chosen name, or the repo's ref or current branch).
    public var baseBranch: String?
    /// The user's uncommitted changes shipped on top of the base (`baseCommit` then includes them).
    public var uncommitted: UncommittedChanges?
    /// A name the user gave the burrow (the task's first line otherwise).
    public var title: String?
    /// The last push of the branch from the host, and the pull request opened for it.
    public var pushed: PushRecord?
    /// The branch the user deleted from the page (the patch and result stay).
    public var deletedBranch: String?
    /// The repo's devcontainer.json as applied to every turn (image, env, user, setup commands), and
    /// what it sets that Burrow does not apply (`unsupported`).
    public var devcontainer: DevcontainerPlan?
    /// When each turn's container started and ended (Unix seconds): durations count active time only.
    public var turnTimes: [TurnTime]?
    /// The uid and gid the agent runs as (and owns its workspace as).
    public var user: AgentIdentity?
    /// The burrow's own host id range (`sandbox.userNamespace` `perBurrow`), from its first turn on;
    /// nil: Podman's default user namespace, shared by every such burrow.
    public var ids: IDSlot?
    /// The agent's HEAD at the end of each turn: commits the host already has, left out of later bundles.
    public var agentHeads: [String]?
    /// What the way home left behind or changed, e.g. files over the size limit, a history not on the base.
    public var homeNotes: [String]?
    /// Time spent copying the repo in: host clone + tar + archive upload.
    public var repoCopyMs: Double?
    public var branch: String?
    /// The files changed against the base, counted (no list: see `GET /api/burrows/{id}/changes`).
    public var changes: WorkspaceChanges?
    public var warnings: [String] = []
    /// Where it runs (`runners` in the config; nil: the local Podman): every turn runs there.
    public var runner: String?
    /// The network mode the burrow was launched with.
    public var network: String?
    /// `network.unlisted`/`askSeconds` given at launch (absent: the repo's or the global ones).
    public var asking: AskSettings?
    /// What a person allowed for this burrow on its page, and its asks still waiting (`AskMemory`).
    public var asks: AskMemory?
    /// `network.rules` given at launch: deny entries added to the repo's (`Config.launchRules`).
    public var launchRules: [String: [String]]?
    /// `credentialServices` given at launch: a subset of the repo's (absent: all of them).
    public var credentialServices: [String]?
    /// The agent runs containers inside (`sandbox.nestedContainers`), stored on `containersVolume`.
    public var nestedContainers: Bool?
    /// "subscription" when the model credential is a Claude subscription's token (its cost is shown
    /// at API prices, for comparison: the plan is what is billed), "api" for an API key.
    public var billing: String?
    /// What its model endpoint carried.
    public var model: ModelUsage?
    /// Tokens and cost measured at the model endpoint, per turn and in all (authoritative).
    public var metered: MeteredTurns?
    /// The agent's own `total_cost_usd`, latest: Claude Code's is cumulative over resumed turns.
    public var agentReportedCostUSD: Double?
    /// The spending limit over all turns (launch, repo or global; raised by a follow-up).
    public var budget: Budget?
    /// Why the burrow stopped when Burrow, not the user, stopped it (e.g. its budget).
    public var stopReason: String?
    public var error: String?
    /// Set when the turn's `result` says the agent failed (`is_error`, an `error_*` subtype): the
    /// turn then ends `failed` whatever the exit code, with this reason in `error`.
    public var agentError: String?
    public var stopRequested = false
    public var tornDown = false
    /// The repo's check after the latest turn (nil: the repo names none, or no turn has ended).
    public var check: CheckRun?
    /// Best of N: the group this burrow is an attempt of, and which (1-based).
    public var group: String?
    public var attempt: Int?
    /// This attempt's own model (`ANTHROPIC_MODEL` in its box) or agent command, if the launch gave one.
    public var agentModel: String?
    public var agentCommand: [String]?
    /// The group's budget over all its attempts (see `BurrowManager.groupCapped`), and the attempt picked.
    public var groupBudgetUSD: Double?
    public var picked: Bool?
    /// Where the first turn's start went, step by step (`StartupPhase`).
    public var startup: [StartupPhase]?
    /// Where the last turn's end went, from the agent's exit seen to the end event (`PhaseClock`).
    public var wayHome: [StartupPhase]?

    public init(id: String, repo: String, task: String, gpu: Bool) {
        self.id = id
        self.repo = repo
        self.task = task
        self.gpu = gpu
        self.state = .queued
        self.createdAt = Date().timeIntervalSince1970
        self.container = "burrow-\(id)"
        self.workspaceVolume = "burrow-\(id)-workspace"
    }

    /// Claude Code's own state (sessions), kept across turns.
    public var configVolume: String { "burrow-\(id)-claude" }
    /// The nested engine's images and containers (`nestedContainers`).
    public var containersVolume: String { "burrow-\(id)-containers" }
    /// The burrow id in `name` when it is named as a burrow's own volume is (`burrow-ID-workspace`,
    /// `-claude`, `-containers`), else nil.
    static func ownVolumeBurrow(_ name: String) -> String? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "burrow", parts[1].count == 12, parts[1].allSatisfy(\.isHexDigit),
              ["workspace", "claude", "containers"].contains(parts[2]) else { return nil }
        return String(parts[1])
    }

    /// The volumes the burrow owns (not the shared caches).
    public var ownVolumes: [String] { [workspaceVolume, configVolume] + (nestedContainers == true ? [containersVolume] : []) }

    /// The container of a turn: `burrow-<id>` for the first, `burrow-<id>-<turn>` after.
    public func containerName(turn: Int) -> String { turn == 1 ? "burrow-\(id)" : "burrow-\(id)-\(turn)" }

    /// A short random id: 12 hex digits.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<6).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16).leftPadded(to: 2) }.joined()
    }
}

/// One turn's running time.
public struct TurnTime: Codable, Sendable, Equatable {
    public var startedAt: Double
    public var finishedAt: Double?
}
