#!/bin/sh
# The current contents of the files given as arguments, for diffs: "<path>\t<base64>" a line.
for f in "$@"; do
  printf '%s\t%s\n' "$f" "$(base64 -w0 < "$f")"
done
