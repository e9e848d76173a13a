# shellcheck shell=sh
# The interface this connection arrives on: the one holding the server address (SSH_CONNECTION is
# "client port server port"). `ip -o addr show to ADDRESS` prints "N: <interface> inet ...".
# shellcheck disable=SC2086 # split "client port server port" into words
set -- $SSH_CONNECTION
[ -n "${3:-}" ] || return 0
# shellcheck disable=SC2046 # the same, for ip's line
set -- $(ip -o addr show to "$3" 2>/dev/null)
if [ -n "${2:-}" ]; then echo "$2"; fi
