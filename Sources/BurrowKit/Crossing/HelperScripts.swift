import BurrowSystem
import BurrowPodman

/// The scripts Burrow's helper image runs inside the sandbox (busybox sh and git). They are the only
/// code that reads what an agent left in its workspace; whatever they obey harms only the box. What
/// they hand back is inert: a git bundle and a one-line JSON summary, both checked again on the host.
enum HelperScripts {
    /// Git as the helpers run it: nothing executable from any config it meets, no background work.
    static let gitGuard = """
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0 GIT_ASKPASS=/bin/false GIT_EDITOR=/bin/false GIT_PAGER=cat
    g() { git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c core.untrackedCache=false -c gc.auto=0 \\
      -c maintenance.auto=false -c core.checkStat=minimal -c core.trustctime=false -c core.autocrlf=false \\
      -c core.safecrlf=false -c core.sshCommand=/bin/false -c protocol.allow=never -c protocol.file.allow=always \\
      -c safe.directory='*' -c user.name=Burrow -c user.email=burrow@localhost "$@"; }
    # A scratch repository in the object format of the commit id $1 (SHA-256 ids are 64 hex digits).
    scratch_repo() { if [ ${#1} -eq 64 ]; then git init -q --bare --object-format=sha256 "$2"; else git init -q --bare "$2"; fi; }
    """

    /// `burrow-enter BASE BRANCH`: moves the workspace (a copy-on-write volume over the repo's
    /// template) to BASE, fetching the commits it lacks from /in/base.bundle. Only changed files are
    /// written. The workspace holds Burrow's own template here: the agent has not run yet.
    static let enter = """
    #!/bin/sh
    set -eu
    \(gitGuard)
    base=$1; branch=$2
    cd /workspace
    if [ -f /in/base.bundle ]; then g fetch -q --no-tags --no-write-fetch-head /in/base.bundle "+refs/burrow/base/$base:refs/burrow/base"; fi
    g checkout -q -f -B "$branch" "$base"
    g update-ref -d refs/burrow/base 2>/dev/null || true
    printf '{"head":"%s"}\\n' "$(g rev-parse HEAD)"
    """

    /// `burrow-harvest BASE MAXFILEBYTES IGNORE [KNOWN...]`, the commit message in `BURROW_COMMIT_MESSAGE` (it
    /// holds the task: never in a process's arguments, which any local user reads): commits what the agent left in the (read-only)
    /// workspace on top of its HEAD in a scratch repository whose objects borrow the agent's, and
    /// bundles the commits the host lacks (everything not reachable from BASE or a KNOWN commit) into
    /// /out/result.bundle (a small one also into the summary, base64). The agent's .git is used only as an object store and for its HEAD: never
    /// its config, hooks or attributes. Files over MAXFILEBYTES stay behind and are named.
    static let harvest = """
    #!/bin/sh
    set -u
    \(gitGuard)
    ws=/workspace; scratch=/scratch; out=/out; upper=/upper
    h=$scratch/home.git
    hg() { g --git-dir="$h" --work-tree="$ws" "$@"; }
    hj() { hg -c core.excludesFile=$scratch/junk "$@"; }
    # `burrow-harvest --git ARGS...`: git as the harvest runs it, for xargs (which cannot call a function).
    if [ "${1:-}" = --git ]; then shift; cd "$ws" && hj "$@"; exit; fi
    base=$1; maxfile=$2; junk=$3; shift 3; message=${BURROW_COMMIT_MESSAGE:-Work of the agent}
    fail() { echo "burrow-harvest: $*" >&2; exit 1; }
    # Cut before escaping (a cut escape would end the string early), at most 50 notes: the summary
    # line stays well under the 64 KiB a line of the helper's output may take.
    q() { printf '%s' "$1" | tr '\\000-\\037' ' ' | cut -c1-300 | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g'; }
    notes=""; noted=0
    note() { [ $noted -lt 50 ] || return 0; noted=$((noted + 1)); notes="$notes${notes:+,}\\"$(q "$1")\\""; }
    scratch_repo "$base" "$h" || fail "cannot create the scratch repository"
    export GIT_INDEX_FILE=$scratch/index
    agent=""
    if [ -d $ws/.git ] && [ ! -L $ws/.git ] && [ -d $ws/.git/objects ] && [ ! -L $ws/.git/objects ]; then
      echo "$ws/.git/objects" > "$h/objects/info/alternates"
      agent=$(g --git-dir=$ws/.git rev-parse -q --verify 'HEAD^{commit}' 2>/dev/null) || agent=""
      [ -n "$agent" ] || note "the agent's .git has no valid HEAD commit: its files are committed on top of the base"
    else
      note "the agent removed or replaced .git: its files are committed on top of the base"
    fi
    hg cat-file -e "$base^{commit}" 2>/dev/null && have_base=1 || have_base=""
    parent=${agent:-}
    [ -n "$parent" ] || { [ -n "$have_base" ] && parent=$base; }
    if [ -n "$agent" ] && [ -f $ws/.git/index ] && [ ! -L $ws/.git/index ] && cp $ws/.git/index "$GIT_INDEX_FILE" 2>/dev/null && hg ls-files -s >/dev/null 2>&1; then :
    elif [ -n "$parent" ]; then hg read-tree "$parent" || fail "cannot read the tree of $parent"
    else rm -f "$GIT_INDEX_FILE"; fi
    cd $ws || fail "no workspace"
    printf '%s\\n' "$junk" > $scratch/junk
    \(layerPaths)
    # The tracked paths that differ (deleted ones too) and the new files that are neither ignored nor
    # junk: among the layer's paths when it could be read, else from one pass of git over every
    # tracked file and one walk. Only those paths can be added, so only they are measured against
    # the per-file limit.
    layer=false
    if layer_paths && xargs -0 -r sh "$0" --git diff-files --name-only -z -- < $scratch/layer.spec > $scratch/changed 2>$scratch/add.err \\
        && xargs -0 -r sh "$0" --git ls-files -o -z --exclude-standard -- < $scratch/layer.spec > $scratch/untracked 2>$scratch/add.err; then
      layer=true
    else
      hj diff-files --name-only -z > $scratch/changed 2>$scratch/add.err || fail "git diff-files failed: $(head -c 400 $scratch/add.err)"
      hj ls-files -o -z --exclude-standard > $scratch/untracked 2>$scratch/add.err || fail "git ls-files failed: $(head -c 400 $scratch/add.err)"
    fi
    # Each candidate of file $1 as ./PATH, so that a name such as -rf is a path to find; -prune: never below it.
    big() { xargs -0 -r printf './%s\\0' < $1 | xargs -0 -r sh -c 'find "$@" -prune -type f -size +'"$maxfile"'c '"$2"' 2>/dev/null; true' sh; }
    add() { hj add -A --pathspec-from-file=$1 --pathspec-file-nul 2>$scratch/add.err; }
    # The exact way: the tracked files that changed and are still there (a deleted one may lie beyond
    # a symlink the agent made, which find would follow), the new ones; all but the big ones added.
    add_everything() {
      hj diff-files --name-only -z --diff-filter=d > $scratch/candidates 2>$scratch/add.err || fail "git diff-files failed: $(head -c 400 $scratch/add.err)"
      cat $scratch/untracked >> $scratch/candidates
      printf '.\\0' > $scratch/pathspec
      big $scratch/candidates -print > $scratch/big
      if [ -s $scratch/big ]; then
        big $scratch/candidates -print0 | xargs -0 -r printf ':(exclude,literal)%s\\0' >> $scratch/pathspec
        while IFS= read -r f; do note "left in the burrow (over the per-file limit of $maxfile bytes): ${f#./}"; done < $scratch/big
      fi
      add $scratch/pathspec || fail "git add failed: $(head -c 400 $scratch/add.err)"
    }
    # A few changes none of which is over the limit (the usual turn): git looks at just those paths
    # again instead of walking every file a second time; any doubt takes the exact way. (Deleted paths
    # are measured here too: one beyond a symlinked folder can only look big, which takes the exact way.)
    cat $scratch/changed $scratch/untracked > $scratch/few
    changes=$(tr -cd '\\000' < $scratch/few | wc -c)
    if [ "$changes" -eq 0 ]; then :
    elif [ "$changes" -le 200 ] && [ -z "$(big $scratch/few -print | head -c 1)" ]; then
      xargs -0 -r printf ':(literal)%s\\0' < $scratch/few > $scratch/pathspec
      add $scratch/pathspec || add_everything
    else add_everything; fi
    tree=$(hg write-tree) || fail "git write-tree failed"
    if [ -n "$parent" ] && [ "$(hg rev-parse "$parent^{tree}")" = "$tree" ]; then head=$parent
    elif [ -n "$parent" ]; then head=$(hg commit-tree "$tree" -p "$parent" -m "$message") || fail "commit failed"
    else head=$(hg commit-tree "$tree" -m "The agent's files") || fail "commit failed"; fi
    hg update-ref refs/heads/result "$head"
    set -- "$@"
    negatives=""
    [ -n "$have_base" ] && negatives="^$base"
    for known in "$@"; do hg cat-file -e "$known^{commit}" 2>/dev/null && negatives="$negatives ^$known"; done
    bundle=false; inline=""
    if hg rev-list --count refs/heads/result $negatives > $scratch/count 2>/dev/null && [ "$(cat $scratch/count)" != 0 ]; then
      hg bundle create -q $out/result.bundle refs/heads/result $negatives 2>$scratch/bundle.err || fail "git bundle failed: $(head -c 400 $scratch/bundle.err)"
      bundle=true
      [ "$(wc -c < $out/result.bundle)" -gt \(HarvestSummary.inlineBundleBytes) ] || inline=$(base64 -w 0 < $out/result.bundle) || inline=""
    fi
    printf '{"head":"%s","agentHead":"%s","bundle":%s,"bundleBase64":"%s","layer":%s,"notes":[%s]}\\n' "$head" "$agent" "$bundle" "$inline" "$layer" "$notes"
    """
}
