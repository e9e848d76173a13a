#!/bin/sh
# Hold the Pi's camfleet lock for as long as the run that took it lives, so two runs never change
# one Pi at once. The lock is flock(2) on the file $1 through fd 9: the kernel drops it when this
# script ends, so it cannot go stale. The script ends when its input does (the run closed its
# channel, or its connection died) or when no heartbeat (one newline, every few seconds) has come
# for $SILENCE seconds: a link that went silent, which sshd alone would not notice for hours.
# Prints "locked" once held; when another run holds it, exits 75 (EX_TEMPFAIL) with who that is on stderr.
exec 9>>"$1"
if ! flock -n 9; then
  cat -- "$1" >&2
  exit 75
fi
# Who holds it, for a run this one refuses: the operator's address and since when.
printf '%ssince %s\n' "${SSH_CONNECTION:+from ${SSH_CONNECTION%% *} }" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" > "$1"
echo locked
# fd 9 closed for the waiting commands: none of them may keep the lock after this shell is gone.
while [ "$(exec 9>&-; timeout "$SILENCE" head -c 1 | wc -c)" -eq 1 ]; do :; done
# Now, not at the end of input: sh -s would go on reading its input (the heartbeats) for commands.
exit 0
