import BurrowSystem
import BurrowHTTP
import BurrowPodman
import BurrowKit
import BurrowWeb
/// The GPU as a burrow will get it: CDI specs for the kind (a device defined in two spec files, as
/// nvidia-ctk leaves /etc/cdi and /var/run/cdi, is flagged: some Podman versions are reported to
/// refuse it, while Podman 5.4.2 here started a container with it), then the configured devices
/// resolved for real by starting a container with them, which settles it.
public enum DoctorGPUCheck {
    public static func findings(_ config: Config, podman: PodmanClient, directories: [String] = CDISpecs.directories) async -> [DoctorFinding] {
        let wanted = config.repos.contains { $0.gpu == true }
        let missing: DoctorFinding.Level = wanted ? .fail : .warn
        let kinds = Set(config.gpuDevices.compactMap { $0.split(separator: "=").first.map(String.init) })
        var findings: [DoctorFinding] = []
        for kind in kinds.sorted() {
            let specs = CDISpecs.files(declaringKind: kind, in: directories)
            if specs.isEmpty {
                findings.append(DoctorFinding(missing, "gpu", "no CDI spec for \(kind) in \(directories.joined(separator: " or ")): burrows cannot get a GPU",
                                              fix: "sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"))
                continue
            }
            findings.append(DoctorFinding(.ok, "gpu", "CDI spec for \(kind): \(specs.joined(separator: ", "))"))
            for (device, files) in CDISpecs.duplicateDevices(kind: kind, in: directories) {
                findings.append(DoctorFinding(.warn, "gpu", "\(kind)=\(device) is defined in \(files.count) spec files (\(files.joined(separator: ", "))): some Podman versions are reported to refuse such a device; the start below says what this one does",
                                              fix: "keep one: sudo rm \(files.dropFirst().joined(separator: " ")) (nvidia-ctk ≥ 1.18 keeps /var/run/cdi fresh by itself)"))
            }
        }
        guard !config.gpuDevices.isEmpty, !findings.contains(where: { $0.text.hasPrefix("no CDI spec") }) else { return findings }
        findings.append(await resolve(config, podman: podman, level: missing))
        return findings
    }

    /// Starts a container with the configured devices: Podman resolves the CDI names as at a launch.
    static func resolve(_ config: Config, podman: PodmanClient, level: DoctorFinding.Level) async -> DoctorFinding {
        var spec = ContainerSpec(image: config.image)
        spec.entrypoint = ["/bin/sh", "-c", "exit 0"]
        spec.command = []
        spec.user = config.agentUser
        spec.devices = config.gpuDevices.map(ContainerSpec.Device.init)
        SandboxLayout.harden(&spec, sandbox: config.sandbox, seccompProfile: nil)
        let devices = config.gpuDevices.joined(separator: ", ")
        do {
            let outcome = try await ContainerProbe.run(podman, spec: spec)
            if let error = outcome.startError {
                return DoctorFinding(level, "gpu", "Podman could not give a container \(devices): \(error)",
                                     fix: "correct \"gpuDevices\" or the CDI specs (nvidia-ctk cdi list shows the names)")
            }
            return DoctorFinding(.ok, "gpu", "a container started with \(devices) (exit \(outcome.exitCode.map(String.init) ?? "?"))")
        } catch {
            return DoctorFinding(level, "gpu", "resolving \(devices) failed: \(error)")
        }
    }
}

extension CDISpecs {
    /// Device names of `kind` defined in more than one spec file, with those files.
    public static func duplicateDevices(kind: String, in directories: [String] = directories) -> [(String, [String])] {
        var filesByDevice: [String: [String]] = [:]
        for file in files(declaringKind: kind, in: directories) {
            guard let bytes = try? FileSystem.readFile(file, limit: 4 << 20) else { continue }
            for name in Set(deviceNames(String(decoding: bytes, as: UTF8.self))) { filesByDevice[name, default: []].append(file) }
        }
        return filesByDevice.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The `name:` of each entry under `devices:` (YAML as nvidia-ctk writes it, or JSON).
    static func deviceNames(_ text: String) -> [String] {
        var names: [String] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            var rest: Substring
            if trimmed.hasPrefix("- name:") { rest = trimmed.dropFirst(7) } else if trimmed.hasPrefix("{\"name\":") { rest = trimmed.dropFirst(8) } else { continue }
            rest = rest.drop { $0 == " " || $0 == "\"" }
            let name = rest.prefix { $0 != "\"" && $0 != "," && $0 != " " && $0 != "}" }
            if !name.isEmpty { names.append(String(name)) }
        }
        return names
    }
}
