extension HelperScripts {
    /// `layer_paths`, for the harvest: the paths that can differ from the agent's index, read from the
    /// workspace volume's own layer (the upper directory of its overlay over the template, bind-mounted
    /// read-only at `$upper`) instead of from an `lstat` of every tracked file and a walk of every
    /// folder. The workspace is the template at the base plus the layer: whatever differs from the
    /// base was written there (each file, link or whiteout it holds), is a file of the base missing from a folder written there (a folder removed and made
    /// again hides the template's without a whiteout), or is a change the index holds (read from the
    /// index's tree, no file looked at). Writes them to `$scratch/layer.spec` as literal pathspecs.
    /// Fails, and the harvest walks everything as before, unless the kernel says `$ws` is an overlay
    /// whose upper directory is `$upper` with folder redirects off (a renamed folder would then show
    /// the template's files under a name the layer does not list), when the layer holds a nested
    /// repository, on any error, and past 256 paths.
    static let layerPaths = """
    layer_paths() {
      [ -d "$upper" ] && [ -n "$have_base" ] || return 1
      mounts=$(cat /proc/self/mountinfo) || return 1
      wsline=$(printf '%s\\n' "$mounts" | awk -v m="$ws" '$5 == m' | tail -n 1)
      uproot=$(printf '%s\\n' "$mounts" | awk -v m="$upper" '$5 == m { r = $4 } END { print r }')
      case $wsline in *" - overlay "*redirect_dir=nofollow*) ;; *) return 1;; esac
      updir=${wsline##*upperdir=}; updir=${updir%%,*}
      # The same storage layer (`…/overlay/ID/diff`); the paths before it differ where Podman runs in a root of its own.
      [ -n "$uproot" ] && [ "${updir##*/overlay/}" = "${uproot##*/overlay/}" ] || return 1
      itree=$(hg write-tree 2>/dev/null) && btree=$(hg rev-parse -q --verify "$base^{tree}" 2>/dev/null) || return 1
      hg diff-tree -r -z --name-only --no-renames "$btree" "$itree" > $scratch/layer 2>/dev/null || return 1
      # What the layer holds but its own .git, at most 64 KiB of names each. A nested repository
      # written there takes the walk (git lists it as a folder only when no path names a file in it).
      (cd "$upper" && find . -path ./.git -prune -o -name .git -print | head -c 1) > $scratch/layer.nested 2>$scratch/layer.err
      (cd "$upper" && find . -path ./.git -prune -o ! -type d -print0 | head -c 65536) > $scratch/layer.files 2>>$scratch/layer.err
      (cd "$upper" && find . -path ./.git -prune -o -type d -print0 | head -c 65536) > $scratch/layer.dirs 2>>$scratch/layer.err
      [ ! -s $scratch/layer.err ] && [ ! -s $scratch/layer.nested ] || return 1
      for f in files dirs; do [ "$(wc -c < $scratch/layer.$f)" -lt 65536 ] || return 1; done
      [ "$(tr -cd '\\000' < $scratch/layer.dirs | wc -c)" -le 256 ] || return 1
      cat $scratch/layer.files >> $scratch/layer
      # The base's entries in each folder the layer holds; a missing one, or one of another kind now, differs.
      xargs -0 -r sh -c 'for d; do printf ":(literal)%s/\\0" "$d"; done' sh < $scratch/layer.dirs > $scratch/layer.folders
      xargs -0 -r sh "$0" --git ls-tree -z --format='%(objecttype) %(path)' "$base" -- < $scratch/layer.folders > $scratch/layer.base \\
        2>$scratch/layer.err || return 1
      xargs -0 -r sh -c 'for r; do p=${r#* }; case $r in
          "tree "*) [ -d "$p" ] && [ ! -L "$p" ] || printf "%s\\0" "$p";;
          "blob "*) [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; } || printf "%s\\0" "$p";;
          *) printf "%s\\0" "$p";;
        esac; done' sh < $scratch/layer.base >> $scratch/layer || return 1
      [ "$(tr -cd '\\000' < $scratch/layer | wc -c)" -le 256 ] || return 1
      xargs -0 -r sh -c 'for p; do printf ":(literal)%s\\0" "$p"; done' sh < $scratch/layer > $scratch/layer.spec
    }
    """
}
