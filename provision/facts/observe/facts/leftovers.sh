# shellcheck shell=sh
# Files an unfinished run staged and never committed (`.<name>.camfleet-XXXXXX` beside a target,
# in the folders STAGING_DIRS lists one a line; commit renames them away): a power cut or a lost
# connection leaves them. One path a line.
old_ifs=$IFS
IFS='
'
for d in $STAGING_DIRS; do
  set +f
  for f in "$d"/.*.camfleet-??????; do
    if [ -f "$f" ]; then echo "$f"; fi
  done
  set -f
done
IFS=$old_ifs
