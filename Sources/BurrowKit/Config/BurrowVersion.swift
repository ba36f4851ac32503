/// The version `burrow --version` and `/api/health` report.
public enum BurrowVersion {
    public static let current = "0.1.0"
}
