# debpkg.sh - helpers of the packaging tests (test_package_*): the Debian
# package built from the test's build, a fresh Debian 12 root it is
# installed into, and the two services run inside that root the way their
# systemd units run them. Source after lib.sh (and it sources debroot.sh).
# shellcheck shell=bash
#
#   debpkg_build OUTDIR [VERSION]  cpack -G DEB from the build that holds
#                      $MC_BIN (one build, no recompiling); VERSION
#                      overrides the package version. Sets DEB (its path).
#   debpkg_root DIR    a fresh root (debroot_unpack) with /sys too; its
#                      mounts are undone by the test's cleanup
#   debpkg_apt DIR ARGS...  apt-get ARGS inside DIR, non-interactive, with
#                      the downloaded packages kept in
#                      $MC_DEBROOT_CACHE/apt-archives across runs; output in
#                      $MC_TMP/apt.log; fails the test if apt-get fails
#   debpkg_unit_get DIR UNIT KEY   the value of KEY= in the installed unit
#   debpkg_start DIR UNIT NAME [WRAPPER...]  run UNIT's ExecStart inside
#                      DIR as its User= and Group=, with its UMask=, in the
#                      environment systemd gives a system service (no
#                      systemd runs in a chroot); WRAPPER (e.g. strace ...)
#                      runs on the host around chroot. Log in
#                      $MC_TMP/NAME.log (appended: restarts keep one
#                      log). Sets SVC_PID (what was started) and
#                      SVC_MAIN[NAME] (the program's pid: SVC_PID without
#                      a wrapper).
#   debpkg_stop NAME   SIGTERM to the program, as systemd stops it; fails
#                      unless it exits with status 0 within 20 s
#   debpkg_route_config DIR RECV_PORT TARGET_PORT  edit the installed
#                      /etc/mercure/mercure.yaml in place (owner and mode
#                      kept): the receiver on RECV_PORT, series complete
#                      after 1 s, every series routed to the DICOM target
#                      127.0.0.1:TARGET_PORT (AE STORESCP)
#   debpkg_in DIR CMD...      CMD inside DIR as root
#   debpkg_as DIR USER CMD... CMD inside DIR as USER (its groups too)

. "$MC_SRC/tests/support/debroot.sh"

DEB=
SVC_PID=
declare -A SVC_MAIN SVC_LAUNCH

debpkg_build() {
	local out=$1 version=${2:-} build
	build=$(cd "$MC_BIN/.." && pwd)
	[ -f "$build/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $build (configure with cmake first)"
	command -v cpack >/dev/null || fail "cpack not installed"
	mkdir -p "$out"
	local logf="$MC_TMP/cpack-${version:-default}.log"
	MC_LOGS+=("$logf")
	(cd "$build" && cpack -G DEB -B "$out" ${version:+-D "CPACK_DEBIAN_PACKAGE_VERSION=$version"}) \
		>"$logf" 2>&1 || fail "cpack failed (${logf#"$MC_TMP"/})"
	DEB=$(find "$out" -maxdepth 1 -name 'mercure-c_*.deb' | head -1)
	[ -n "$DEB" ] || fail "cpack made no mercure-c_*.deb in $out"
}

debpkg_root() {
	local dir=$1
	debroot_unpack "$dir" || fail "could not make a Debian root in $dir (debootstrap)"
	# undone by lib.sh's cleanup, after the processes inside are stopped
	MC_MOUNTS+=("$dir/dev" "$dir/proc")
	# /sys as on a real system (read-only): without it glibc counts the
	# CPUs from /proc/stat, which the receiver's unit hides
	mount -t sysfs -o ro sysfs "$dir/sys" || fail "cannot mount sysfs in $dir"
	MC_MOUNTS+=("$dir/sys")
	# debootstrap's own downloads: installed already, and not to be kept
	# in the cache of what apt-get fetches
	rm -f "$dir"/var/cache/apt/archives/*.deb
}

debpkg_apt() {
	local dir=$1 cache="$MC_DEBROOT_CACHE/apt-archives" logf="$MC_TMP/apt.log" rc=0
	shift
	case " ${MC_LOGS[*]} " in *" $logf "*) ;; *) MC_LOGS+=("$logf") ;; esac
	mkdir -p "$cache"
	find "$cache" -maxdepth 1 -name '*.deb' -exec cp -t "$dir/var/cache/apt/archives/" {} + 2>/dev/null
	printf '+ apt-get %s\n' "$*" >>"$logf"
	chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
		-o Dpkg::Use-Pty=0 --no-install-recommends "$@" >>"$logf" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] && grep -q '404 \|Unable to fetch' "$logf"; then
		# the root's package lists are as old as the cached debootstrap
		# tarball: the mirror may have moved on
		printf '+ apt-get update (lists out of date)\n' >>"$logf"
		chroot "$dir" apt-get -q update >>"$logf" 2>&1 || fail "apt-get update in the root failed"
		rc=0
		chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
			-o Dpkg::Use-Pty=0 --no-install-recommends "$@" >>"$logf" 2>&1 || rc=$?
	fi
	[ "$rc" -eq 0 ] || fail "apt-get $* in the root exited with $rc (apt.log)"
	# keep what was downloaded; a file appears in the cache only whole
	local f
	for f in "$dir"/var/cache/apt/archives/*.deb; do
		[ -e "$f" ] || continue
		[ -e "$cache/${f##*/}" ] && continue
		cp "$f" "$cache/.${f##*/}.part" && mv "$cache/.${f##*/}.part" "$cache/${f##*/}"
	done
	return 0
}

debpkg_unit_get() {
	sed -n "s/^$3=//p" "$1/lib/systemd/system/$2" | tail -1
}

debpkg_in() {
	local dir=$1
	shift
	chroot "$dir" "$@"
}

debpkg_as() {
	local dir=$1 user=$2
	shift 2
	chroot "$dir" setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}

debpkg_start() {
	local dir=$1 unit=$2 name=$3 exec user group umask home
	shift 3
	exec=$(debpkg_unit_get "$dir" "$unit" ExecStart)
	user=$(debpkg_unit_get "$dir" "$unit" User)
	group=$(debpkg_unit_get "$dir" "$unit" Group)
	umask=$(debpkg_unit_get "$dir" "$unit" UMask)
	[ -n "$exec" ] || fail "$unit: no ExecStart="
	[ -n "$user" ] || fail "$unit: no User="
	home=$(chroot "$dir" getent passwd "$user" | cut -d: -f6)
	local logf="$MC_TMP/$name.log"
	case " ${MC_LOGS[*]} " in *" $logf "*) ;; *) MC_LOGS+=("$logf") ;; esac
	# systemd: the user's HOME, USER, LOGNAME and SHELL, its own PATH,
	# and nothing of ours
	# shellcheck disable=SC2086,SC2016 # $exec is a command line; sh's $1, $@
	"$@" chroot "$dir" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$home" USER="$user" LOGNAME="$user" SHELL=/usr/sbin/nologin \
		/bin/sh -c 'umask "$1"; shift; exec "$@"' sh "${umask:-0022}" \
		setpriv --reuid="$user" --regid="${group:-$user}" --init-groups -- $exec \
		>>"$logf" 2>&1 &
	SVC_PID=$!
	MC_PIDS+=("$SVC_PID")
	SVC_LAUNCH[$name]=$SVC_PID
	SVC_MAIN[$name]=$SVC_PID
	[ $# -eq 0 ] && return 0
	# a wrapper: the program is a descendant, found by its executable
	local prog=${exec%% *} i p
	for ((i = 0; i < 200; i++)); do
		for p in $(_debpkg_descendants "$SVC_PID"); do
			if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$dir$prog" ]; then
				SVC_MAIN[$name]=$p
				MC_PIDS+=("$p")
				return 0
			fi
		done
		alive "$SVC_PID" "$name"
		sleep 0.05
	done
	fail "$name: $prog did not start within 10 s"
}

_debpkg_descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				q = p
				while (q in parent && q != root && q > 1) q = parent[q]
				if (q == root && p != root) print p
			}
		}'
}

debpkg_stop() {
	local name=$1 launch=${SVC_LAUNCH[$1]} main=${SVC_MAIN[$1]} rc
	kill -0 "$main" 2>/dev/null || fail "$name (pid $main) was already dead"
	kill -TERM "$main"
	for _ in $(seq 1 400); do kill -0 "$launch" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$launch" 2>/dev/null; then
		kill -KILL "$main" "$launch" 2>/dev/null
		fail "$name (pid $main) did not stop within 20 s of SIGTERM"
	fi
	rc=0
	wait "$launch" || rc=$?
	[ "$rc" -eq 0 ] || fail "$name exited with status $rc after SIGTERM, expected 0"
}

debpkg_route_config() {
	local dir=$1 rp=$2 tp=$3 cfg=$1/etc/mercure/mercure.yaml new
	new=$(sed -e "s/^port: 11112$/port: $rp/" \
		-e 's/^series_complete_trigger: 60$/series_complete_trigger: 1/' \
		-e 's/^retry_delay: 900$/retry_delay: 1/' \
		-e "s/^targets: {}$/targets:\n  pacs: {target_type: dicom, ip: 127.0.0.1, port: $tp, aet_target: STORESCP}/" \
		-e 's/^rules: {}$/rules:\n  everything_to_pacs: {rule: "True", target: pacs}/' "$cfg") ||
		fail "cannot read $cfg"
	local re
	for re in "^port: $rp$" '^series_complete_trigger: 1$' "^  pacs: .*port: $tp" '^  everything_to_pacs:'; do
		grep -q "$re" <<<"$new" ||
			fail "the packaged configuration lacks a line this test edits (port, series_complete_trigger, targets, rules): /$re/"
	done
	# into the same file: its owner, group and mode stay the package's
	printf '%s\n' "$new" >"$cfg"
}
