import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// `burrow image build [--config FILE] [--podman-socket PATH] [--tag NAME] [--force]`: builds the
/// registry-free agent image (AgentImageRecipe) into the Podman Burrow uses (the config's
/// `podmanSocket` unless given); the tag defaults to the config's `image`.
public enum ImageCommand {
    public static func build(configPath: String?, socket: String?, tag: String?, force: Bool) async -> Bool {
        do {
            let (config, _) = try ConfigLoader.load(explicit: configPath)
            guard let recipe = AgentImageRecipe.locate() else {
                Console.error("burrow image build: images/agent-debian/build-rootfs.sh not found; run it from a Burrow checkout")
                return false
            }
            let podman = try await PodmanClient.connect(configured: socket ?? config.podmanSocket)
            let reference = tag ?? config.image
            switch try await recipe.build(into: podman, reference: reference, force: force, progress: { Console.out($0) }) {
            case .upToDate(let hash): Console.out("\(reference) is up to date (recipe \(hash))")
            case .built(let hash): Console.out("built \(reference) (recipe \(hash))")
            }
            return true
        } catch {
            Console.error("burrow image build: \(error)")
            return false
        }
    }
}
