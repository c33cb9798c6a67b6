# e2e_route.sh - helpers shared by the test_route_* scripts (and bench/route). Source after lib.sh.
# shellcheck shell=bash
#
#   E2E=...            tests/support/e2e_dicom.py (retag, check, sops)
#   e2e ARGS...        run it with /usr/bin/python3
#   start_coord NAME CONFIG [ARGS...]   mercure-coordinator --config CONFIG in the background, log in
#                      $MC_TMP/NAME.log (appended: restarts keep one log); sets COORD_PID and
#                      COORD_LOG; waits for event=coordinator.running (counting from this start)
#   start_recv NAME CONFIG PORT   mercure-receiver --config CONFIG; sets RECEIVER_PID
#   wait_log FILE ERE N TIMEOUT_S  until FILE has >= N lines matching ERE (fails otherwise)
#   log_count FILE ERE             lines matching ERE
#   series_dirs ROOT               series folders left in ROOT/incoming (not error/)
#   wait_idle ROOT TIMEOUT_S       until tasks/ and incoming/ hold no series or task
#   jq_py FILE EXPR                evaluate a python expression over a JSON file (bound to j)
#   coord ARGS...                  run mercure-coordinator ARGS (foreground), output in $OUT, status in $RC

E2E="$MC_SRC/tests/support/e2e_dicom.py"
e2e() { "$PY" "$E2E" "$@"; }

COORD_PID=
COORD_LOG=

start_coord() {
	local name=$1 cfg=$2
	shift 2
	need_bin mercure-coordinator
	COORD_LOG="$MC_TMP/$name.log"
	case " ${MC_LOGS[*]} " in *" $COORD_LOG "*) ;; *) MC_LOGS+=("$COORD_LOG") ;; esac
	touch "$COORD_LOG"
	local before
	before=$(grep -c 'event=coordinator.running' "$COORD_LOG")
	"$MC_BIN/mercure-coordinator" --config "$cfg" "$@" 2>>"$COORD_LOG" >>"$COORD_LOG" &
	COORD_PID=$!
	MC_PIDS+=("$COORD_PID")
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(grep -c 'event=coordinator.running' "$COORD_LOG")" -gt "$before" ] && return 0
		alive "$COORD_PID" mercure-coordinator
		sleep 0.05
	done
	fail "mercure-coordinator did not log event=coordinator.running within 20 s"
}

start_recv() {
	local name=$1 cfg=$2 port=$3
	need_bin mercure-receiver
	local logf="$MC_TMP/$name.log"
	MC_LOGS+=("$logf")
	mkdir -p "$MC_TMP/cwd-$name"
	(cd "$MC_TMP/cwd-$name" && exec "$MC_BIN/mercure-receiver" --config "$cfg") 2>"$logf" >>"$logf" &
	RECEIVER_PID=$!
	MC_PIDS+=("$RECEIVER_PID")
	wait_echo "$port" "$RECEIVER_PID"
}

log_count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

wait_log() {
	local f=$1 re=$2 n=$3 t=$4 i
	for ((i = 0; i < t * 20; i++)); do
		[ "$(log_count "$f" "$re")" -ge "$n" ] && return 0
		sleep 0.05
	done
	fail "after ${t}s ${f#"$MC_TMP"/} has $(log_count "$f" "$re") lines matching /$re/, expected $n"
}

series_dirs() {
	[ -d "$1/incoming" ] || return 0
	find "$1/incoming" -mindepth 1 -maxdepth 1 -type d ! -name error -printf '%f\n'
}

task_dirs() { # ROOT STATE : task ids in ROOT/STATE
	[ -d "$1/$2" ] || return 0
	find "$1/$2" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
}

wait_idle() {
	local root=$1 t=$2 i
	for ((i = 0; i < t * 20; i++)); do
		[ -z "$(series_dirs "$root")" ] && [ -z "$(task_dirs "$root" tasks)" ] && return 0
		sleep 0.05
	done
	fail "not idle after ${t}s: incoming/ holds [$(series_dirs "$root" | tr '\n' ' ')], tasks/ holds [$(task_dirs "$root" tasks | tr '\n' ' ')]"
}

jq_py() {
	"$PY" - "$1" "$2" <<-'EOF'
		import json, sys
		j = json.load(open(sys.argv[1]))
		v = eval(sys.argv[2])
		print(json.dumps(v) if not isinstance(v, str) else v)
	EOF
}

coord() {
	RC=0
	OUT=$("$MC_BIN/mercure-coordinator" "$@" 2>&1) || RC=$?
}


# Known-bug assertions: a failing soft_eq prints the failure (FAIL-BUG ...) and lets the script go on,
# so the rest of the test still runs; soft_finish at the end fails the test if any soft_eq failed.
MC_SOFT_FAILS=()
soft_eq() { # EXPECTED ACTUAL WHAT
	if [ "$1" != "$2" ]; then
		printf 'FAIL-BUG %s: %s: expected %s, got %s\n' "$MC_TEST_NAME" "$3" "'$1'" "'$2'" >&2
		MC_SOFT_FAILS+=("$3: expected '$1', got '$2'")
	fi
}
soft_finish() {
	[ ${#MC_SOFT_FAILS[@]} -eq 0 ] && return 0
	local m
	for m in "${MC_SOFT_FAILS[@]}"; do printf 'FAIL %s: %s\n' "$MC_TEST_NAME" "$m" >&2; done
	fail "${#MC_SOFT_FAILS[@]} assertion(s) failed (see FAIL lines above; the rest of the test passed)"
}

# e2e_private_bin : after mc_init, copy the three programs to $MC_TMP/bin and use them (MC_BIN), so a
# rebuild of build/ during the test (other work on this tree) cannot swap or truncate them mid-run;
# waits up to 60 s for a usable set (each copy must run --help).
e2e_private_bin() {
	local b i ok
	mkdir -p "$MC_TMP/bin"
	for ((i = 0; i < 60; i++)); do
		ok=1
		for b in mercure-coordinator mercure-receiver mercure-worker; do
			need_bin "$b"
			cp "$MC_BIN/$b" "$MC_TMP/bin/$b" 2>/dev/null && "$MC_TMP/bin/$b" --help >/dev/null 2>&1 || ok=0
		done
		[ $ok = 1 ] && break
		sleep 1
	done
	[ $ok = 1 ] || fail "could not copy working programs from $MC_BIN"
	MC_BIN=$MC_TMP/bin
}
