# debroot.sh - a fresh Debian 12 root for the packaging tests (bash; source
# it). The minbase root is made once per machine with debootstrap from the
# mirror apt uses, and kept as a tarball; each test unpacks its own copy.
#
#   . "$MC_SRC/tests/support/debroot.sh"
#   debroot_tarball            prints the cached tarball's path (makes it)
#   debroot_unpack DIR         a fresh root in DIR, with /proc and /dev
#                              mounted and resolv.conf copied, so that
#                              apt-get works inside it
#   debroot_umount DIR         undo the mounts (call it from a trap)
#
# MC_DEBROOT_CACHE: where the tarball lives (default
# /var/cache/mercure-tests); MC_DEBROOT_MIRROR: the mirror (default: the
# first deb.debian.org-like URI of apt's sources, else deb.debian.org).

: "${MC_DEBROOT_CACHE:=/var/cache/mercure-tests}"

_debroot_mirror() {
	if [ -n "${MC_DEBROOT_MIRROR:-}" ]; then
		echo "$MC_DEBROOT_MIRROR"
		return
	fi
	local m
	m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' \
		/etc/apt/sources.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}

debroot_tarball() {
	local tar="$MC_DEBROOT_CACHE/bookworm-minbase.tar" tmp
	mkdir -p "$MC_DEBROOT_CACHE" || return 1
	(
		flock 9
		[ -s "$tar" ] && exit 0
		tmp=$(mktemp -d "$MC_DEBROOT_CACHE/.root.XXXXXX") || exit 1
		if ! debootstrap --variant=minbase bookworm "$tmp/root" \
			"$(_debroot_mirror)" >"$tmp/log" 2>&1; then
			tail -20 "$tmp/log" >&2
			rm -rf "$tmp"
			exit 1
		fi
		tar -C "$tmp/root" -cf "$tar.part" . && mv "$tar.part" "$tar"
		rm -rf "$tmp"
	) 9>"$MC_DEBROOT_CACHE/.lock" || return 1
	echo "$tar"
}

debroot_unpack() {
	local dir=$1 tar
	tar=$(debroot_tarball) || return 1
	mkdir -p "$dir" && tar -C "$dir" -xf "$tar" || return 1
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
	mount -t proc proc "$dir/proc" &&
		mount --bind /dev "$dir/dev" || return 1
}

debroot_umount() {
	local dir=$1
	umount "$dir/dev" 2>/dev/null || umount -l "$dir/dev" 2>/dev/null
	umount "$dir/proc" 2>/dev/null || umount -l "$dir/proc" 2>/dev/null
	return 0
}
