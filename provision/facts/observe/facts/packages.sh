# shellcheck shell=sh
# dpkg's own lines, "<package> <status> <architecture>": db:Status-Abbrev is "ii " for an installed
# package, unknown names are silently left out, and dpkg's own line gives the system's architecture.
# shellcheck disable=SC2016,SC2086 # dpkg's format, not shell; PACKAGES is a word list
dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Architecture}\n' dpkg $PACKAGES 2>/dev/null
