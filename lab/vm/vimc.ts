// The VM lab Pi's libcamera camera: the kernel's `vimc` virtual media-controller camera, for which
// libcamera has a pipeline handler (and an IPA module, in Debian's libcamera-ipa). Debian's kernel
// package builds `vivid` but not `vimc`, so it is built here, out of tree, from Debian's own
// `linux-source-6.1` against the `linux-headers-*` of the very kernel the image boots, inside the
// image while it is built (native speed, not under emulation). The build tools and sources are
// purged afterwards: the image keeps only the module. The script is part of the image's recipe, so
// the image's cache key covers it.
//
// The kernel's source must match the kernel exactly: the source package's version is taken from the
// installed linux-image package, the headers' from the kernel's release, and the built module's
// vermagic is checked against that release before it is installed.

/** The packages the build needs, purged once vimc.ko is installed (the source and headers are named in the script). */
export const vimcBuildPackages = ['make', 'gcc', 'libc6-dev', 'xz-utils'];

/** Shell (set -eu) run inside the VM image after its kernel is installed. */
export const vimcBuildScript = `# --- vimc, built out of tree for the image's kernel ---
KVER=$(ls /lib/modules | head -n 1)
KPKG=$(dpkg-query -W -f '\${Version}' "linux-image-$KVER")
KSERIES=$(echo "$KVER" | cut -d. -f1,2)
echo "vimc: building for kernel $KVER (package $KPKG) from linux-source-$KSERIES=$KPKG"
apt-get -q install -y --no-install-recommends ${vimcBuildPackages.join(' ')} "linux-headers-$KVER" "linux-source-$KSERIES=$KPKG"
B=$(mktemp -d)
tar -xJf "/usr/src/linux-source-$KSERIES.tar.xz" -C "$B" --strip-components=5 "linux-source-$KSERIES/drivers/media/test-drivers/vimc"
# Debian's config has no CONFIG_VIDEO_VIMC: the module is asked for by name.
nice -n 10 make -s -C "/usr/src/linux-headers-$KVER" M="$B" CONFIG_VIDEO_VIMC=m modules
VERMAGIC=$(modinfo -F vermagic "$B/vimc.ko")
case "$VERMAGIC" in "$KVER "*) ;; *) echo "vimc: vermagic '$VERMAGIC' does not match kernel $KVER" >&2; exit 1 ;; esac
install -D -m 644 "$B/vimc.ko" "/lib/modules/$KVER/updates/vimc.ko"
depmod "$KVER"
modinfo -k "$KVER" -F filename vimc
rm -rf "$B"
apt-get -q purge -y --autoremove "linux-headers-$KVER" "linux-source-$KSERIES" ${vimcBuildPackages.filter((p) => p !== 'xz-utils').join(' ')}
echo "vimc: installed /lib/modules/$KVER/updates/vimc.ko ($VERMAGIC)"
`;
