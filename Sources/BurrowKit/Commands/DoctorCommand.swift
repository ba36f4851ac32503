/// `burrow doctor`: explains whether Burrow can launch burrows here. Filled in with the Podman client.
public enum DoctorCommand {
    public static func run(configPath: String?) async -> Bool {
        do {
            let (config, file) = try ConfigLoader.load(explicit: configPath)
            Console.out("ok   config: \(file ?? "built-in defaults"), listen \(config.listen)")
            return true
        } catch {
            Console.out("FAIL config: \(error)")
            return false
        }
    }
}
