extension HelperScripts {
    /// `layer_paths`, for the harvest: the paths that can differ from the agent's index, read from the
    /// workspace volume's own layer (the upper directory of its overlay over the template, bind-mounted
    /// read-only at `$upper`) instead of from an `lstat` of every tracked file and a walk of every
    /// folder. The workspace is the template at the base plus the layer: whatever differs from the
    /// base was written there (each file, link or whiteout it holds), is an entry of the base missing
    /// from a folder written there (a folder removed and made again hides the template's without a
    /// whiteout), or is a change the index holds (compared with the base's trees; no file looked at).
    /// Writes them to `$scratch/layer.spec` as literal pathspecs. Fails, and the harvest walks
    /// everything as before, unless the kernel says `$ws` is an overlay whose upper directory is
    /// `$upper` with folder redirects off (a renamed folder would then show the template's files under
    /// a name the layer does not list), when the layer holds a nested repository or a `.gitattributes`,
    /// on any error, and past 256 paths. Like the walk it trusts the agent's index (which could always
    /// say what it wants): an index whose cached trees are forged can hide its entries from either.
    static let layerPaths = """
    layer_paths() {
      [ -d "$upper" ] && [ -n "$have_base" ] || return 1
      # What the kernel says: /upper's folder, then the workspace's mount (its fields have no spaces but the options' separator).
      info=$(awk -v w="$ws" -v u="$upper" '$5 == w { l = $0 } $5 == u { r = $4 } END { print r " " l }' /proc/self/mountinfo) || return 1
      uproot=${info%% *}; wsline=${info#* }
      case $wsline in *" - overlay "*redirect_dir=nofollow*) ;; *) return 1;; esac
      updir=${wsline##*upperdir=}; updir=${updir%%,*}
      # The same storage layer (`…/overlay/ID/diff`); the paths before it differ where Podman runs in a root of its own.
      [ -n "$uproot" ] && [ "${updir##*/overlay/}" = "${uproot##*/overlay/}" ] || return 1
      hg diff-index --cached -z --name-only --no-renames --line-prefix=':(literal)' "$base" -- > $scratch/layer.spec 2>/dev/null || return 1
      # Every entry of the layer but its own .git (at most 64 KiB of names): files, links and whiteouts
      # are paths to look at, folders where the base's entries are checked. A nested repository takes
      # the walk (git lists it as a folder only when no path names a file in it), and so does a changed
      # .gitattributes (the walk adds again, so converts anew, files the layer does not hold).
      (cd "$upper" && find . -path ./.git -prune -o -print0 | head -c 65536) > $scratch/layer.all 2>$scratch/layer.err
      [ ! -s $scratch/layer.err ] && [ "$(wc -c < $scratch/layer.all)" -lt 65536 ] || return 1
      : > $scratch/layer.folders
      (cd "$upper" && xargs -0 -r sh -c 'for p; do case $p in */.git|*/.gitattributes) exit 1;; esac
          if [ -d "$p" ] && [ ! -L "$p" ]; then printf ":(literal)%s/\\0" "$p" >> "$0/layer.folders"
          else printf ":(literal)%s\\0" "$p" >> "$0/layer.spec"; fi; done' "$scratch" < $scratch/layer.all) || return 1
      # The base's entries in each folder the layer holds; a missing one, or one of another kind now, differs.
      xargs -0 -r sh "$0" --git ls-tree -z --format='%(objecttype) %(path)' "$base" -- < $scratch/layer.folders > $scratch/layer.base \\
        2>/dev/null || return 1
      xargs -0 -r sh -c 'for r; do p=${r#* }; case $r in
          "tree "*) [ -d "$p" ] && [ ! -L "$p" ] && continue;;
          "blob "*) { [ -L "$p" ] || { [ -e "$p" ] && [ ! -d "$p" ]; }; } && continue;;
        esac; printf ":(literal)%s\\0" "$p"; done' sh < $scratch/layer.base >> $scratch/layer.spec || return 1
      [ "$(tr -cd '\\000' < $scratch/layer.spec | wc -c)" -le 256 ]
    }
    """
}
