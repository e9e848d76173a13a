# shellcheck shell=sh
# Files an unfinished run staged and never committed (`.<name>.camfleet-XXXXXX` beside a target,
# in the folders STAGING_DIRS lists one a line; commit renames them away): a power cut or a lost
# connection leaves them. One path a line.
old_ifs=$IFS
IFS='
'
nl='
'
for d in $STAGING_DIRS; do
  set +f
  for f in "$d"/.*.camfleet-??????; do
    # Only names stage-file.sh makes: mktemp's six letters and digits, no line break (a name with
    # one, put there by someone else, could forge a section of this script's answer).
    case $f in *"$nl"*) continue ;; esac
    case ${f##*.camfleet-} in *[!A-Za-z0-9]*) continue ;; esac
    if [ -f "$f" ]; then echo "$f"; fi
  done
  set -f
done
IFS=$old_ifs
