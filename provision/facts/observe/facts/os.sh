# shellcheck shell=sh
# The distribution and its version, from os-release: "<ID> <VERSION_ID>".
# shellcheck source=/dev/null
. /etc/os-release 2>/dev/null
echo "${ID:-unknown} ${VERSION_ID:-}"
