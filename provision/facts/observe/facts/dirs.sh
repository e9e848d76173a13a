# shellcheck shell=sh
# Directories to remove (ABSENT_DIRS: a path, a tab and name patterns, one a line): "dir<TAB>path"
# for each one that is there, then "holds<TAB>path<TAB>entry" for every entry its patterns do not
# cover (a regular file matching one goes with the directory; anything else is for the plan to
# judge: a file this run removes, or a keeper).
dir_facts() {
  d=$1
  shift
  if [ ! -d "$d" ] || [ -L "$d" ]; then return 0; fi
  printf 'dir\t%s\n' "$d"
  set +f
  for f in "$d"/* "$d"/.[!.]* "$d"/..?*; do
    if [ ! -e "$f" ] && [ ! -L "$f" ]; then continue; fi
    covered=
    if [ -f "$f" ] && [ ! -L "$f" ]; then
      for pattern in "$@"; do
        # shellcheck disable=SC2254 # the pattern is meant to match as a pattern
        case ${f##*/} in $pattern) covered=1 ;; esac
      done
    fi
    if [ -z "$covered" ]; then
      # A line break in a name would end this line early and could forge a section of the answer:
      # the entry is shown with '?' for it, still a keeper (it matches no path the plan removes).
      case $f in *"$nl"*) f=$(printf '%s' "$f" | tr '\n' '?') ;; esac
      printf 'holds\t%s\t%s\n' "$d" "$f"
    fi
  done
  set -f
}
tab=$(printf '\t')
nl='
'
old_ifs=$IFS
IFS='
'
for entry in $ABSENT_DIRS; do
  IFS=$old_ifs
  # shellcheck disable=SC2086 # the patterns after the tab are a word list
  dir_facts "${entry%%"$tab"*}" ${entry#*"$tab"}
  IFS='
'
done
IFS=$old_ifs
