#!/bin/sh
# Install the packages given as arguments, non-interactively; waits for the dpkg lock; refreshes
# stale package lists once and tries again.
export DEBIAN_FRONTEND=noninteractive
apt_get() {
  apt-get -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold "$@"
}
if ! apt_get install -y --no-install-recommends "$@"; then
  apt_get update && apt_get install -y --no-install-recommends "$@"
fi
