# nomad.sh - the stand-in Nomad for the test_nomad_* scripts. Source after lib.sh and e2e_route.sh.
# shellcheck shell=bash
#
#   start_standin NAME [ARGS...]   tests/support/nomad_standin.py in the background (log NAME.log,
#                                  data in $MC_TMP/NAME-data); sets NOMAD_PID, NOMAD_PORT,
#                                  NOMAD_CTL (control port) and NOMAD_URL
#   standin PATH [JSON]            POST JSON ({} by default) to the control port; answer in $OUT
#   standin_py EXPR                evaluate a python expression over GET /state (bound to s) and
#                                  the request log (r); prints the result
#   wait_standin EXPR TIMEOUT_S    until standin_py EXPR prints True
#   nomad_config FILE EXTRA...     write the scheduler: block for the stand-in into FILE (appended)

STANDIN="$MC_SRC/tests/support/nomad_standin.py"
NOMAD_PID= NOMAD_PORT= NOMAD_CTL= NOMAD_URL=

start_standin() {
	local name=$1 i
	shift
	local logf="$MC_TMP/$name.log" ready="$MC_TMP/$name.ready"
	MC_LOGS+=("$logf")
	rm -f "$ready"
	"$PY" "$STANDIN" --data-dir "$MC_TMP/$name-data" --ready-file "$ready" "$@" >"$logf" 2>&1 &
	NOMAD_PID=$!
	MC_PIDS+=("$NOMAD_PID")
	for ((i = 0; i < 200; i++)); do
		[ -s "$ready" ] && break
		alive "$NOMAD_PID" "the stand-in Nomad"
		sleep 0.05
	done
	[ -s "$ready" ] || fail "the stand-in Nomad did not start within 10 s"
	read -r NOMAD_PORT NOMAD_CTL <"$ready"
	NOMAD_URL="http://127.0.0.1:$NOMAD_PORT"
}

standin() {
	OUT=$(curl -sf -X POST -d "${2:-{\}}" "http://127.0.0.1:$NOMAD_CTL$1") ||
		fail "stand-in control $1 ${2:-} failed"
}

standin_py() {
	"$PY" - "$NOMAD_CTL" "$1" <<-'EOF'
		import json, sys, urllib.request
		base = "http://127.0.0.1:" + sys.argv[1]
		s = json.load(urllib.request.urlopen(base + "/state"))
		r = json.load(urllib.request.urlopen(base + "/requests"))
		v = eval(sys.argv[2])
		print(json.dumps(v) if not isinstance(v, (str, bool)) else v)
	EOF
}

wait_standin() {
	local expr=$1 t=$2 i
	for ((i = 0; i < t * 10; i++)); do
		[ "$(standin_py "$expr" 2>/dev/null)" = True ] && return 0
		sleep 0.1
	done
	fail "after ${t}s the stand-in state does not satisfy: $expr"
}

# children_of TASK_ID : python expression for the dispatched children of a task, purged ones included
children_of() {
	printf '[j for j in s["jobs"] + s["purged"] if j["ParentID"] == "mercure-worker" and (j["Meta"] or {}).get("task_id") == "%s"]' "$1"
}
