import FoundationEssentials
import BurrowSystem
import BurrowPodman

/// A burrow's model spending: metered at its model endpoint (authoritative), its budget, and why it
/// stopped when the budget did it.
extension BurrowRecord {
    /// Takes one event from the model endpoint: usage into the turn's and the burrow's account (and
    /// `costUSD`, which then shows the metered cost), a budget refusal into `stopReason`.
    mutating func account(_ event: NetEvent) {
        if event.phase == .model { model = (model ?? ModelUsage()).counting(event) }
        if event.usage != nil {
            var account = metered ?? MeteredTurns()
            account.add(event, turn: turn)
            metered = account
            costUSD = account.total.costUSD
            turnCosts = account.turns.map(\.costUSD)
        }
        if event.budgetReached == true, stopReason == nil {
            stopReason = "budget reached: " + (event.reason ?? "")
        }
        if event.keyRefused == true, stopReason == nil {
            stopReason = Self.keyRefusedReason(status: event.status ?? 401, upstream: event.host)
        }
    }

    static func keyRefusedReason(status: Int, upstream: String) -> String {
        "the key was refused (\(status)) by \(upstream): correct credentials.anthropic (`burrow doctor` tries it) and restart burrow serve"
    }

    /// The budget of a launch: the launch's own over the repo's over the global one (field by field).
    static func budget(launch: Budget?, repo: RepoConfig, config: Config) -> Budget? {
        let budget = (launch ?? Budget()).over(repo.budget).over(config.budget)
        return budget == Budget() ? nil : budget
    }

    /// A follow-up on a burrow whose budget is spent must raise it; a raised budget takes effect now
    /// (the live endpoint's too) and for every later turn.
    mutating func applyFollowUp(budget raised: Budget?) throws {
        if let raised { budget = raised.over(budget) }
        if let budget, let reason = budget.reachedReason(metered?.total ?? MeteredUsage()) {
            throw BurrowError.conflict(reason, detail: "send the message with a higher budget: {\"text\": …, \"budget\": {\"usd\": N, \"tokens\": N}}")
        }
    }
}

extension ModelEndpoint {
    /// The endpoint of one burrow: the configured upstream, routes and prices, and an account that
    /// starts from what the burrow has already spent (earlier turns, or before a restart).
    convenience init(config: Config, vault: ModelVault, record: BurrowRecord?) {
        self.init(vault: vault,
                  routes: ModelRoutes(config.credentials.allowedRoutes ?? ModelRoutes.defaultRoutes),
                  prices: ModelPrices(overrides: config.prices),
                  serverTools: ServerTools(config.credentials.anthropic?.serverTools ?? []),
                  budget: BudgetGate(spent: record?.metered?.total ?? MeteredUsage(), limit: record?.budget))
    }
}
