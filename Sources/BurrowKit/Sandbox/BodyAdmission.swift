import Synchronization
import BurrowSystem
import BurrowPodman

/// Request bodies in flight through the model endpoint, in bytes: admitted before a body is read
/// (its declared length, or the most a body may be when it is chunked) and given back when its
/// answer ends, since the vault holds its copy until then. Forty 31 MiB bodies at once would
/// otherwise be held whole, several times over, in Burrow and the vault (gigabytes).
public final class BodyAdmission: Sendable {
    public let limit: Int
    private let inFlight = Mutex(0)

    public init(limit: Int) {
        self.limit = limit
    }

    public var bytesInFlight: Int { inFlight.withLock { $0 } }

    /// Takes `bytes`, or nothing when they do not fit beside what is in flight.
    func admit(_ bytes: Int) -> Bool {
        inFlight.withLock { current in
            guard current + bytes <= limit else { return false }
            current += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        inFlight.withLock { $0 = max(0, $0 - bytes) }
    }

    /// Each burrow's own share: one body of the largest size at a time.
    public static let perBurrowBytes = ModelEndpoint.maxRequestBytes
    /// All burrows together, through the one vault.
    public static let totalBytes = 48 << 20
}

/// One request's admitted bytes, in its burrow's account and in the total; released once.
struct AdmittedBody {
    let bytes: Int
    let accounts: [BodyAdmission]

    /// Admitted into every account, or nil and nothing taken: the account that is full, to say so.
    static func admit(_ bytes: Int, into accounts: [BodyAdmission]) -> Result<AdmittedBody, BusyRefusal> {
        var taken: [BodyAdmission] = []
        for account in accounts {
            guard account.admit(bytes) else {
                for held in taken { held.release(bytes) }
                return .failure(BusyRefusal(bytes: bytes, full: account, perBurrow: account === accounts.first))
            }
            taken.append(account)
        }
        return .success(AdmittedBody(bytes: bytes, accounts: accounts))
    }

    func release() {
        for account in accounts { account.release(bytes) }
    }

    /// The same admission, holding only `size` bytes now that the body is read.
    func shrunk(to size: Int) -> AdmittedBody {
        guard size < bytes else { return self }
        for account in accounts { account.release(bytes - size) }
        return AdmittedBody(bytes: size, accounts: accounts)
    }

    struct BusyRefusal: Error {
        let bytes: Int
        let full: BodyAdmission
        let perBurrow: Bool

        var message: String {
            let whose = perBurrow ? "this burrow's" : "all burrows'"
            return "model endpoint busy: a \(mebibytes(bytes)) request body does not fit beside \(mebibytes(full.bytesInFlight)) "
                + "of \(whose) request bodies in flight (limit \(mebibytes(full.limit))); retry when they end"
        }

        private func mebibytes(_ bytes: Int) -> String {
            bytes >= 1 << 20 ? "\((Double(bytes) / Double(1 << 20) * 10).rounded() / 10) MiB" : "\(bytes) bytes"
        }
    }
}
