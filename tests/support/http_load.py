# http_load.py PORT TOKEN STOPFILE [THREADS] - THREADS clients (default 6), each with its own
# connection per request, GET /api/v1/status, series, studies, tasks, rates and /metrics in turn
# with the bearer TOKEN, as fast as the server answers, until STOPFILE exists. Every answer must be
# a 200 with a well-formed body (JSON of the endpoint's shape; for /metrics, text format lines).
# Prints "requests=N bad=M slowest=S" and exits 1 if any answer was bad or fewer than 50 were made.
import json, os, sys, threading, time, urllib.request

port, token, stop = sys.argv[1], sys.argv[2], sys.argv[3]
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 6
res, slow, lock = [], [0.0], threading.Lock()


def ok_rates(j):
    return (j.get("interval_seconds") == 60 and isinstance(j.get("end"), int) and
            all(isinstance(j.get(k), list) and len(j[k]) == 60 and all(isinstance(v, int) and v >= 0 for v in j[k])
                for k in ("received_instances", "dispatched_instances", "errors")))


def ok_metrics(text):
    for line in text.splitlines():
        if line.startswith("#"):
            if not (line.startswith("# HELP ") or line.startswith("# TYPE ")):
                return False
            continue
        name, _, value = line.rpartition(" ")
        if not name.startswith("mercure_"):
            return False
        float(value)
    return "mercure_received_instances_total" in text


CHECKS = [
    ("/api/v1/status", lambda j: "open_series" in j and "tasks" in j),
    ("/api/v1/series", lambda j: isinstance(j.get("series"), list)),
    ("/api/v1/studies", lambda j: isinstance(j.get("studies"), list)),
    ("/api/v1/tasks", lambda j: isinstance(j.get("tasks"), list)),
    ("/api/v1/rates", ok_rates),
    ("/metrics", None),
]


def client(n):
    i = n
    while not os.path.exists(stop):
        path, check = CHECKS[i % len(CHECKS)]
        i += 1
        req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
                                     headers={"Authorization": "Bearer " + token})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                body = r.read().decode()
                good = r.status == 200 and (ok_metrics(body) if check is None else check(json.loads(body)))
                out = 200 if good else "%s: bad body %r" % (path, body[:200])
        except Exception as e:  # noqa: BLE001 - every failure is a bad answer here
            out = "%s: %s" % (path, e)
        with lock:
            res.append(out)
            slow[0] = max(slow[0], time.monotonic() - t0)


ts = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
bad = [r for r in res if r != 200]
print("requests=%d bad=%d slowest=%.3fs %s" % (len(res), len(bad), slow[0], bad[:3] if bad else ""))
sys.exit(1 if bad or len(res) < 50 else 0)
