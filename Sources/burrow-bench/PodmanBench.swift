import BurrowKit
import BurrowSystem
import BurrowHTTP
import BurrowPodman

/// Lifecycle latency and log throughput through Burrow's Podman client.
enum PodmanBench {
    /// create + start + wait + remove of a `true` container, `runs` times; prints each time in ms.
    static func lifecycle(socket: String, image: String, runs: Int) async throws {
        let podman = try await PodmanClient.connect(configured: socket)
        var times: [Double] = []
        for index in 0..<runs {
            let started = Monotonic.now()
            var spec = ContainerSpec(image: image)
            spec.name = "burrow-bench-\(index)-\(UInt32.random(in: 0...UInt32.max))"
            spec.command = ["true"]
            let created = try await podman.createContainer(spec)
            try await podman.start(created.id)
            _ = try await podman.wait(created.id)
            try await podman.remove(created.id)
            times.append(Double(Monotonic.now() - started) / 1e6)
        }
        Console.out(times.map { String(format3: $0) }.joined(separator: " "))
    }

    /// Attaches to a created container, starts it and reads its `mib` MiB of stdout live through the
    /// attach socket, the demultiplexer and the line assembler; prints MiB/s from start to end of stream.
    static func attach(socket: String, image: String, mib: Int) async throws {
        let podman = try await PodmanClient.connect(configured: socket)
        let created = try await podman.createContainer(writer(image: image, mib: mib, name: "attach", delay: "sleep 0.5; "))
        let attaching = Task { try await podman.attach(created.id) }
        try await Task.sleep(for: .milliseconds(100))
        try await podman.start(created.id)
        let stream = try await attaching.value
        let report = try await drain(stream)
        _ = try await podman.wait(created.id)
        try await podman.remove(created.id)
        Console.out(report)
    }

    /// A container that writes `mib` MiB of text lines to stdout (after `delay`, a shell prefix).
    static func writer(image: String, mib: Int, name: String, delay: String = "") -> ContainerSpec {
        var spec = ContainerSpec(image: image)
        spec.name = "burrow-bench-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        spec.command = ["sh", "-c", "\(delay)yes 'burrow log throughput line 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c \(mib * 1_048_576)"]
        return spec
    }

    /// Reads a stream to its end through the line assembler; reports bytes, lines and MiB/s.
    static func drain(_ stream: LogStream, since started: UInt64 = Monotonic.now()) async throws -> String {
        var assembler = LineAssembler()
        var bytes = 0
        var lines = 0
        while let frames = try await stream.next() {
            for frame in frames {
                bytes += frame.payload.count
                lines += assembler.add(frame).count
            }
        }
        let seconds = Double(Monotonic.now() - started) / 1e9
        return "bytes=\(bytes) lines=\(lines) seconds=\(String(format3: seconds)) mib_per_s=\(String(format3: Double(bytes) / 1_048_576 / seconds))"
    }

    /// Runs a container that writes `mib` MiB to stdout and exits, then reads its whole log through the
    /// demultiplexer and line assembler; prints MiB/s. (Reading after exit gives every tool the same
    /// complete log: Podman 4.3's follow mode drops output of a container that exits mid-stream.)
    static func logs(socket: String, image: String, mib: Int) async throws {
        let podman = try await PodmanClient.connect(configured: socket)
        let created = try await podman.createContainer(writer(image: image, mib: mib, name: "logs"))
        try await podman.start(created.id)
        _ = try await podman.wait(created.id)
        let started = Monotonic.now()
        let report = try await drain(try await podman.logs(created.id, follow: false), since: started)
        try await podman.remove(created.id)
        Console.out(report)
    }
}

extension String {
    init(format3 value: Double) {
        let scaled = Int((value * 1000).rounded())
        self = "\(scaled / 1000).\(String(scaled % 1000).leftPad(3))"
    }
}
