/// The live-changes helper: what the agent changed so far, counted inside the sandbox.
extension HelperScripts {
    /// `burrow-changes BASE MAXBYTES`: compares the (read-only) workspace with BASE and writes
    /// /out/changes: `burrow-changes 1`, then `total FILES ADDED REMOVED BINARY` (or `error TEXT`),
    /// then `git diff --numstat -z` records cut at MAXBYTES. Like the harvest, git sees the agent's
    /// .git only as an object store and for its index, in a scratch repository: never its config or
    /// hooks. Untracked files count (intent-to-add in a scratch index); nothing is written to the workspace.
    static let changes = """
    #!/bin/sh
    set -u
    \(gitGuard)
    base=$1; maxbytes=$2
    ws=/workspace; s=/tmp/changes; out=/out/changes
    mkdir -p $s
    fail() { printf 'burrow-changes 1\\nerror %s\\n' "$(printf '%s' "$1" | tr '\\000-\\037' ' ' | cut -c1-300)" > $out; exit 0; }
    if [ ! -d $ws/.git ] || [ -L $ws/.git ] || [ ! -d $ws/.git/objects ] || [ -L $ws/.git/objects ]; then
      fail "the agent removed or replaced .git: its changes show when it finishes"
    fi
    h=$s/c.git
    scratch_repo "$base" "$h" >/dev/null 2>&1 || fail "cannot create a scratch repository"
    echo "$ws/.git/objects" > "$h/objects/info/alternates"
    export GIT_INDEX_FILE=$s/index
    hg() { g --git-dir="$h" --work-tree="$ws" -c core.attributesFile=/dev/null -c core.bigFileThreshold=4m -c diff.external= "$@"; }
    hg cat-file -e "$base^{commit}" 2>/dev/null || fail "the base commit is not in the agent's repository"
    if [ -f $ws/.git/index ] && [ ! -L $ws/.git/index ] && cp $ws/.git/index "$GIT_INDEX_FILE" 2>/dev/null && hg ls-files -s >/dev/null 2>&1; then :
    else rm -f "$GIT_INDEX_FILE"; hg read-tree "$base" 2>/dev/null || fail "cannot read the base tree"; fi
    cd $ws || fail "no workspace"
    hg add -A -N -- . >/dev/null 2>$s/add.err || fail "git add failed: $(head -c 300 $s/add.err)"
    hg diff --numstat -z --no-renames --no-ext-diff --no-textconv --no-color "$base" -- > $s/numstat 2>$s/diff.err \\
      || fail "git diff failed: $(head -c 300 $s/diff.err)"
    {
      printf 'burrow-changes 1\\n'
      tr '\\000\\n' '\\n ' < $s/numstat | awk -F '\\t' '{ n++; if ($1 == "-") b++; else { a += $1; r += $2 } }
        END { printf "total %d %d %d %d\\n", n, a, r, b }'
      head -c "$maxbytes" $s/numstat
    } > $out.partial && mv $out.partial $out
    """
}
