@testable import BurrowSystem
@testable import BurrowKit
import Foundation
import XCTest

/// The harvest of a real burrow over the repo's template reads what the turn changed from the
/// workspace volume's own layer (Podman's overlay), shown read-only to its helper, instead of
/// walking every file; the same changes made in a filled workspace, where every file is walked,
/// come home as the same tree.
final class LayerHarvestTests: XCTestCase {
    static let changes = #"""
    set -e; cd /workspace
    echo more >> keep/deep/k && rm gone.txt && rm -r folder && mkdir folder && echo three > folder/three
    rm -r dir-to-file && echo now-a-file > dir-to-file && rm file-to-dir && mkdir -p file-to-dir/in && echo x > file-to-dir/in/x
    chmod +x run.sh && ln -s keep/deep/k link && mkdir -p new/deep && echo n > new/deep/n && printf y > ./-rf && printf z > "$(printf 'odd\nname')"
    git rm -q --cached untouched.txt && echo staged > staged.txt && git add staged.txt && echo ignored > junk.log
    """#

    func testATurnOverTheTemplateComesHomeFromItsLayerAsTheWalkBringsIt() async throws {
        let attack = try await AttackBurrow.make(self)
        try await Subprocess.check(["bash", "-c", """
            set -e; cd '\(attack.app.repoPath)' && mkdir -p keep/deep folder dir-to-file && echo k > keep/deep/k && echo 1 > folder/one
            echo 2 > folder/two && echo u > untouched.txt && echo g > gone.txt && echo a > dir-to-file/a && echo f > file-to-dir
            printf '#!/bin/sh\\n' > run.sh && echo '*.log' > .gitignore && git add -A && git -c user.name=u -c user.email=u@u commit -qm more
            """])
        let events = try await HelperEvents(podman: attack.app.manager.podman, stateDir: attack.app.stateDir)
        let filled = try await attack.run(Self.changes)
        XCTAssertEqual(filled.state, .succeeded, filled.error ?? "")
        XCTAssertEqual(filled.wayHome?.contains { $0.phase == "harvest" }, true, "a filled workspace is walked: \(filled.wayHome ?? [])")
        let teardown = try await attack.app.server.request("DELETE", "/api/burrows/\(filled.id)")
        XCTAssertEqual(teardown.status, 204)
        await attack.app.manager.crossing.templates.settle()

        let layered = try await attack.run(Self.changes)
        XCTAssertEqual(layered.state, .succeeded, layered.error ?? "")
        // Where Podman leaves a new image volume's root alone (4.5 on), its new workspace was made
        // writable on the host, in its still empty layer: no claim helper's container, where the first,
        // filled workspace had one (the events were seen). Podman 4.3 would undo that: a helper claims it.
        let filledClaims = await events.containers(named: Crossing.helperName(filled.id, role: "claim"))
        let layeredClaims = await events.containers(named: Crossing.helperName(layered.id, role: "claim"))
        let onHost = attack.app.manager.freeSpace.known(runner: RunnerConfig.localName)?.storage?.leavesImageVolumeRoots
        XCTAssertNotNil(onHost, "Podman's storage facts are known")
        XCTAssertEqual(filledClaims.count, 1, "the filled workspace's claim helper is seen")
        XCTAssertEqual(layeredClaims.count, onHost == true ? 0 : 1, "a claim helper over the template only where Podman would undo the host's")
        let crossing = await attack.app.manager.crossing
        let used = try await attack.app.manager.crossingBurrow(layered, user: AgentIdentity(uid: 1000, gid: 1000))
        let layer = await crossing.workspaceLayer(used), claimedAgain = await crossing.claimLayer(used)
        XCTAssertNotNil(layer, "its layer is found on this host")
        XCTAssertFalse(claimedAgain, "a layer a container has written to is not claimed again")
        let volume = try await attack.app.manager.podman.inspectVolume(layered.workspaceVolume)
        XCTAssertEqual(volume.driver, "image", "the second workspace is a volume over the template image")
        XCTAssertEqual(layered.wayHome?.contains { $0.phase == "harvestLayer" }, true,
                       "its harvest read the layer: \(layered.wayHome ?? [])")
        XCTAssertEqual(layered.baseCommit, filled.baseCommit)

        let tree = { (record: BurrowRecord) in
            try await Subprocess.check(["git", "-C", attack.app.repoPath, "rev-parse", "burrow/\(record.id)^{tree}"]).stdout
        }
        let expected = try await tree(filled), got = try await tree(layered)
        XCTAssertEqual(got, expected, "the same tree either way")
        let files = try await attack.branchFiles(layered)
        for present in ["\tfolder/three\n", "\tuntouched.txt\n", "\tdir-to-file\n", "\tfile-to-dir/in/x\n", "\t-rf\n", "\t\"odd\\nname\"\n",
                        "\tstaged.txt\n", "\tnew/deep/n\n", "120000 blob", "100755 blob"] {
            XCTAssertTrue(files.contains(present), "\(present) in \(files)")
        }
        for absent in ["folder/one", "folder/two", "gone.txt", "dir-to-file/a", "junk.log", "\tfile-to-dir\n"] {
            XCTAssertFalse(files.contains(absent), "\(absent) in \(files)")
        }
    }
}
