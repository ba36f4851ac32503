import BurrowSystem
import BurrowPodman

/// Burrow's own helper image: busybox and the host's git (with the libraries it links), and the
/// helper scripts. Helpers never depend on the agent's image, which may lack git or a shell. Built
/// from host files into a rootfs tar and imported through Podman's API (so it works when Podman runs
/// as another user); its tag carries a fingerprint of its inputs, so a changed input builds anew.
enum HelperImage {
    static let repository = "localhost/burrow-helper"

    /// The helper image's name, building it first if this Podman does not have it.
    static func ensure(_ podman: PodmanClient) async throws -> String {
        let name = "\(repository):\(try fingerprint())"
        if try await podman.imageExists(name) { return name }
        let directory = try FileSystem.makeTemporaryDirectory("burrow-helper-image")
        defer { FileSystem.removeTree(directory) }
        for (file, text) in [("burrow-enter", HelperScripts.enter), ("burrow-harvest", HelperScripts.harvest),
                             ("burrow-changes", HelperScripts.changes), ("build", buildScript)] {
            try FileSystem.writeAtomically(Array(text.utf8), to: directory + "/" + file, mode: 0o755)
        }
        do {
            try await Subprocess.check(["sh", directory + "/build", directory])
        } catch {
            throw CrossingError.helperImage("\(error)")
        }
        try await podman.importImage(tarPath: directory + "/rootfs.tar", reference: name,
                                     changes: ["LABEL io.burrow.role=helper", "WORKDIR /", "ENV PATH=/usr/local/bin:/usr/bin:/bin"])
        return name
    }

    /// Changes whenever the scripts, busybox or git change.
    static func fingerprint() throws -> String {
        var hash = FNV1a()
        hash.add(HelperScripts.enter)
        hash.add(HelperScripts.harvest)
        hash.add(HelperScripts.changes)
        hash.add(buildScript)
        for binary in ["/bin/busybox", "/usr/bin/git"] {
            guard let status = FileSystem.status(binary) else { throw CrossingError.helperImage("\(binary) is missing") }
            hash.add("\(binary):\(status.size):\(status.modifiedNanoseconds)")
        }
        return hash.hex
    }

    /// Assembles the rootfs in DIR/root from host files (trusted: Debian's binaries) and tars it. It has
    /// no /workspace on purpose: a volume first mounted where the image has no directory is given to
    /// the container's user, so the enter helper hands each new workspace to the agent's uid.
    static let buildScript = """
    set -eu
    dir=$1; root=$dir/root
    mkdir -p $root/bin $root/usr/bin $root/usr/local/bin $root/etc $root/usr/share/git-core/templates \\
      $root/proc $root/sys $root/dev $root/run $root/in $root/out $root/scratch $root/tmp
    chmod 1777 $root/in $root/out $root/scratch $root/tmp
    cp /bin/busybox $root/bin/busybox
    for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox $root/bin/$applet; done
    cp /usr/bin/git $root/usr/bin/git
    for lib in $(ldd /usr/bin/git | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
      mkdir -p $root$(dirname $lib); cp -L $lib $root$lib
    done
    cp $dir/burrow-enter $dir/burrow-harvest $dir/burrow-changes $root/usr/local/bin/
    printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/:/bin/false\\n' > $root/etc/passwd
    printf 'root:x:0:\\nnogroup:x:65534:\\n' > $root/etc/group
    tar -C $root -cf $dir/rootfs.tar --numeric-owner --owner=0 --group=0 .
    """
}

/// A 64-bit FNV-1a hash: a fingerprint of inputs, not a security boundary.
struct FNV1a {
    private var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ text: String) {
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        value = (value ^ 0xff) &* 0x100_0000_01b3
    }
    var hex: String { String(value, radix: 16).leftPadded(to: 16) }
}
