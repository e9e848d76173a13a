# shellcheck shell=sh
# The note of restarts an interrupted run owes (PENDING), "<action> <unit>" a line, as it was written.
if [ -f "$PENDING" ]; then cat "$PENDING"; fi
