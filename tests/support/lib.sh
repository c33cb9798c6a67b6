# lib.sh - shared helpers for the integration test scripts (bash). Source it:
# shellcheck shell=bash
#   . "$MC_SRC/tests/support/lib.sh"; mc_init <name>
#
# Environment (CTest sets it; run by hand from the source dir it is derived):
#   MC_BIN  directory of the built programs (default <source>/build/bin)
#   MC_SRC  source directory (default: two levels above this file)
#   MC_KEEP_TMP=1 keeps the temp dir; MC_VERBOSE=1 prints process logs on success too.
# Conventions: every helper that fails calls `fail`, which prints FAIL + reason + the tail of every
# process log and exits 1. `skip` exits 77. Readiness is awaited by polling echoscu, never by sleeping
# a fixed time.

set -u -o pipefail

: "${MC_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${MC_BIN:=$MC_SRC/build/bin}"
export MC_SRC MC_BIN
export TCP_NODELAY=1
PY=/usr/bin/python3
GEN="$MC_SRC/tests/support/gen_dicom.py"
MC_TEST_NAME="test"
MC_TMP=
MC_PIDS=()
MC_MOUNTS=()
MC_LOGS=()
MC_USED_PORTS=" "

# gen ARGS... : run the python generator/checker
gen() { "$PY" "$GEN" "$@"; }

log() { printf '%s: %s\n' "$MC_TEST_NAME" "$*" >&2; }

_dump_logs() {
	local f
	for f in "${MC_LOGS[@]}"; do
		[ -s "$f" ] || continue
		printf -- '----- %s (last 25 lines) -----\n' "${f#"$MC_TMP"/}" >&2
		tail -n 25 "$f" >&2
	done
}

fail() {
	printf 'FAIL %s: %s\n' "$MC_TEST_NAME" "$*" >&2
	_dump_logs
	[ ${#MC_LOGS[@]} -eq 0 ] || printf 'FAIL %s: %s\n' "$MC_TEST_NAME" "$*" >&2
	exit 1
}

skip() {
	printf 'SKIP %s: %s\n' "$MC_TEST_NAME" "$*" >&2
	exit 77
}

pass() { printf 'ok %s: %s\n' "$MC_TEST_NAME" "$*"; }

_cleanup() {
	local rc=$? p m
	trap - EXIT
	for p in "${MC_PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
		fi
	done
	for p in "${MC_PIDS[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for m in "${MC_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		log "exit status $rc; temp dir ${MC_KEEP_TMP:+kept at }$MC_TMP"
	elif [ "${MC_VERBOSE:-0}" = 1 ]; then
		_dump_logs
	fi
	if [ "${MC_KEEP_TMP:-0}" != 1 ] && [ -n "$MC_TMP" ]; then
		rm -rf "$MC_TMP"
	fi
	exit "$rc"
}

# mc_init NAME : temp dir in $MC_TMP (removed on exit), cleanup trap, tool checks.
mc_init() {
	MC_TEST_NAME=$1
	MC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mc-$1.XXXXXX") || { echo "mktemp failed" >&2; exit 1; }
	trap _cleanup EXIT
	trap 'exit 130' INT TERM
	local t
	for t in storescu storescp echoscu dcmdump; do
		command -v "$t" >/dev/null || fail "DCMTK tool $t not installed"
	done
	"$PY" -c 'import pydicom, numpy' 2>/dev/null || fail "$PY lacks pydicom/numpy"
}

# need_bin NAME : the program must have been built
need_bin() {
	[ -x "$MC_BIN/$1" ] || fail "$MC_BIN/$1 not built (run cmake --build build)"
}

# free_port : print a TCP port that is free on 127.0.0.1 now and not handed out before in this test
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
		case "$MC_USED_PORTS" in *" $p "*) continue ;; esac
		MC_USED_PORTS="$MC_USED_PORTS$p "
		echo "$p"
		return 0
	done
	fail "no free port"
}

# wait_echo PORT PID [AEC] [TIMEOUT_S] : poll echoscu until the SCP answers; fail if PID dies.
# MC_ECHO_OPTS adds echoscu options (e.g. +tls KEY CERT +cf CA).
wait_echo() {
	local port=$1 pid=$2 aec=${3:-ANY-SCP} timeout=${4:-20} i n
	n=$((timeout * 20))
	for ((i = 0; i < n; i++)); do
		# shellcheck disable=SC2086
		if echoscu ${MC_ECHO_OPTS:-} -aec "$aec" -to 2 127.0.0.1 "$port" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || fail "process $pid died before answering C-ECHO on port $port"
		sleep 0.05
	done
	fail "no C-ECHO answer on port $port after ${timeout}s"
}

# start_receiver NAME PORT STORAGE [ARGS...] : start mercure-receiver in the background from
# $MC_TMP/cwd-NAME, log to $MC_TMP/NAME.log; sets RECEIVER_PID (copy it before starting another).
# Waits until C-ECHO works (called AE = --aet from ARGS if given).
# MC_RECEIVER_CWD=DIR runs it from DIR instead.
start_receiver() {
	local name=$1 port=$2 storage=$3 aec=ANY-SCP prev=
	shift 3
	local a
	for a in "$@"; do
		[ "$prev" = --aet ] && aec=$a
		prev=$a
	done
	need_bin mercure-receiver
	local cwd=${MC_RECEIVER_CWD:-$MC_TMP/cwd-$name}
	mkdir -p "$storage" "$cwd"
	local logf="$MC_TMP/$name.log"
	MC_LOGS+=("$logf")
	(cd "$cwd" && exec "$MC_BIN/mercure-receiver" --port "$port" --bind 127.0.0.1 \
		--storage "$storage" "$@") 2>"$logf" >>"$logf" &
	RECEIVER_PID=$!
	MC_PIDS+=("$RECEIVER_PID")
	wait_echo "$port" "$RECEIVER_PID" "$aec"
}

# start_storescp NAME PORT OUTDIR [ARGS...] : DCMTK storescp (binds 0.0.0.0; loopback traffic only)
start_storescp() {
	local name=$1 port=$2 od=$3
	shift 3
	mkdir -p "$od"
	local logf="$MC_TMP/$name.log"
	MC_LOGS+=("$logf")
	storescp "$@" -od "$od" "$port" >"$logf" 2>&1 &
	STORESCP_PID=$!
	MC_PIDS+=("$STORESCP_PID")
	wait_echo "$port" "$STORESCP_PID"
}

# stop_process PID [WHAT] : SIGTERM, wait up to 20 s, fail unless it exits with status 0
stop_process() {
	local pid=$1 what=${2:-process} rc
	kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; fail "$what (pid $pid) was already dead, exit status $rc"; }
	kill -TERM "$pid"
	for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		fail "$what (pid $pid) did not stop within 20 s of SIGTERM"
	fi
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || fail "$what (pid $pid) exited with status $rc after SIGTERM, expected 0"
}

# alive PID WHAT : fail if the process died
alive() {
	kill -0 "$1" 2>/dev/null || { wait "$1"; fail "${2:-process} (pid $1) died, exit status $?"; }
}

# send_files NAME PORT "STORESCU OPTS" FILE|DIR... : storescu -v -R +sd +r OPTS 127.0.0.1 PORT FILES
send_files() {
	local name=$1 port=$2 opts=$3
	shift 3
	local logf="$MC_TMP/$name.log"
	MC_LOGS+=("$logf")
	SEND_RC=0
	# shellcheck disable=SC2086
	storescu -v -R +sd +r $opts 127.0.0.1 "$port" "$@" >"$logf" 2>&1 || SEND_RC=$?
	SEND_LOG=$logf
}

# send_ok NAME PORT "OPTS" FILES... : send_files and fail unless storescu exits 0 and every file
# got a Success response
send_ok() {
	send_files "$@"
	[ "$SEND_RC" -eq 0 ] || fail "storescu ($1) exited with $SEND_RC; see $1.log"
	local bad
	bad=$(store_statuses "$SEND_LOG" | awk -F'\t' '$2 != "Success"')
	[ -z "$bad" ] || fail "storescu ($1) got non-success responses: $bad"
}

# store_statuses LOG : "file<TAB>status" for each file storescu sent (from its -v log)
store_statuses() {
	awk '
		/I: Sending file: / { f = $0; sub(/.*Sending file: /, "", f); next }
		/I: Received Store Response \(/ {
			s = $0; sub(/.*Received Store Response \(/, "", s); sub(/\)[^)]*$/, "", s)
			print f "\t" s; f = "" }
	' "$1"
}

# count_files DIR PATTERN : number of regular files under DIR matching the find -name PATTERN
count_files() {
	if [ -d "$1" ]; then find "$1" -type f -name "$2" | wc -l; else echo 0; fi
}

assert_eq() { # EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_file() { [ -f "$1" ] || fail "${2:-file} $1 does not exist"; }
assert_no_file() { [ ! -e "$1" ] || fail "${2:-path} $1 exists but must not"; }

assert_grep() { # FILE ERE WHAT
	grep -Eq -- "$2" "$1" || fail "$3: no line matching /$2/ in ${1#"$MC_TMP"/}"
}

# assert_tree_only SANDBOX ALLOWED... : every file/dir under SANDBOX is one of ALLOWED paths or below
# one (used to prove nothing was written outside the storage root)
assert_tree_only() {
	local sb=$1 p ok a
	shift
	while IFS= read -r p; do
		ok=0
		for a in "$@"; do
			case "$p" in "$a" | "$a"/*) ok=1 ;; esac
			case "$a" in "$p"/*) ok=1 ;; esac # parents of allowed paths
		done
		[ $ok = 1 ] || fail "unexpected path outside the allowed set: $p"
	done < <(find "$sb" -mindepth 1)
}

# assert_no_tmp STORAGE : the receiver's temp dir holds no leftovers. Spare
# pre-written files (.pool-<size>-*, at most <size> bytes, all zero; see
# getdcmtags/tmp_pool.h; a running receiver may be writing one) and the
# slot's lock file (getdcmtags/tmp_slot.h) are not leftovers; a pool file
# holding data is.
assert_no_tmp() {
	local f b sz left=()
	for f in "$1"/tmp/* "$1"/tmp/.[!.]*; do
		[ -e "$f" ] || continue
		b=${f##*/}
		[ "$b" = .slot.lock ] && continue
		if [[ "$b" =~ ^\.pool-([0-9]+)- ]]; then
			sz=$(stat -c %s "$f" 2>/dev/null) || continue # taken meanwhile
			[ "$sz" -le "${BASH_REMATCH[1]}" ] &&
				[ "$(tr -d '\0' <"$f" 2>/dev/null | head -c 1 | wc -c)" = 0 ] && continue
		fi
		left+=("$b")
	done
	[ ${#left[@]} -eq 0 ] || fail "${#left[@]} leftover file(s) in $1/tmp: ${left[*]:0:5}"
}

# start_msgdump NAME URL COUNT [TIMEOUT_MS] : mc-msgdump in background, stdout in $MC_TMP/NAME.jsonl;
# waits for "ready" on its stderr. Sets MSGDUMP_PID and MSGDUMP_OUT.
start_msgdump() {
	local name=$1 url=$2 count=$3 tmo=${4:-60000}
	need_bin mc-msgdump
	MSGDUMP_OUT="$MC_TMP/$name.jsonl"
	local errf="$MC_TMP/$name.log"
	MC_LOGS+=("$errf")
	"$MC_BIN/mc-msgdump" --listen "$url" --count "$count" --timeout-ms "$tmo" >"$MSGDUMP_OUT" 2>"$errf" &
	MSGDUMP_PID=$!
	MC_PIDS+=("$MSGDUMP_PID")
	for _ in $(seq 1 200); do
		grep -q ready "$errf" 2>/dev/null && return 0
		alive "$MSGDUMP_PID" mc-msgdump
		sleep 0.05
	done
	fail "mc-msgdump did not print ready within 10 s"
}

# wait_pid PID TIMEOUT_S WHAT : wait for a background process to end; sets WAIT_RC
wait_pid() {
	local pid=$1 t=$2 what=$3 i
	for ((i = 0; i < t * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && fail "$what (pid $pid) still running after ${t}s"
	WAIT_RC=0
	wait "$pid" || WAIT_RC=$?
}

# wait_count DIR PATTERN N TIMEOUT_S : poll until DIR holds N files matching PATTERN
wait_count() {
	local d=$1 pat=$2 n=$3 t=$4 i c
	for ((i = 0; i < t * 20; i++)); do
		c=$(count_files "$d" "$pat")
		[ "$c" -ge "$n" ] && return 0
		sleep 0.05
	done
	fail "after ${t}s $d holds $(count_files "$d" "$pat") files matching $pat, expected $n"
}

# mount_tmpfs DIR SIZE : mount a tmpfs (registered for unmount); returns 1 if not permitted
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || return 1
	MC_MOUNTS+=("$1")
}
