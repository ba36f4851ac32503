@testable import BurrowSystem
import Foundation

/// A tiny image for Podman inside a burrow, as a `docker-archive` tarball (what `podman save`
/// writes, `podman load` reads): the host's static busybox and its applets, made by hand so that
/// no registry and no host Podman is involved. `/data/owned` belongs to uid 1234: a uid the nested
/// engine cannot map (its files land as the agent's).
enum NestedImageTarball {
    static let tag = "localhost/burrow-nested-tiny:latest"
    static let fileName = "nested-tiny.tar"
    static let applets = ["sh", "echo", "cat", "id", "grep", "wget", "dd", "sleep", "nc", "httpd", "true", "ls", "df", "hostname"]

    /// Writes the tarball into `repo` and commits it: the burrow's workspace then holds it.
    static func add(to repo: String) async throws {
        let busybox = FileSystem.environment("BURROW_TEST_BUSYBOX") ?? "/usr/bin/busybox"
        let work = try TemporaryDirectory.make("nested-image")
        defer { FileSystem.removeTree(work) }
        let links = applets.map { "ln -s busybox rootfs/bin/\($0)" }.joined(separator: " && ")
        try await Subprocess.check(["sh", "-c", "cd \(work) && mkdir -p rootfs/bin rootfs/tmp rootfs/etc && cp \(busybox) rootfs/bin/busybox && "
                                    + links + " && echo 'root:x:0:0:root:/:/bin/sh' > rootfs/etc/passwd && tar -C rootfs -cf layer.tar . && mkdir -p other/data && echo owned-by-1234 > other/data/owned"
                                    + " && tar --owner=1234 --group=1234 -C other -rf layer.tar data"])
        let layer = try FileSystem.readFile(work + "/layer.tar")
        let digest = try await Subprocess.check(["sha256sum", work + "/layer.tar"]).stdout.prefix(64)
        let config = #"{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:\#(digest)"]}}"#
        let manifest = #"[{"Config":"config.json","RepoTags":["\#(tag)"],"Layers":["layer.tar"]}]"#
        var archive = TarWriter()
        archive.addFile("manifest.json", Array(manifest.utf8))
        archive.addFile("config.json", Array(config.utf8))
        archive.addFile("layer.tar", layer)
        try FileSystem.writeAtomically(archive.finished(), to: repo + "/" + fileName, mode: 0o644)
        try await Subprocess.check(["git", "-C", repo, "add", fileName])
        try await Subprocess.check(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "a tiny image"])
    }
}
