# http_poll.py PORT USER:PASSWORD STOPFILE - four clients, each logged in once through /login (as the
# dashboard is), GET /api/v1/status with their session cookie ten times a second until STOPFILE
# exists; prints "polls=N bad=M slowest=S" and exits 1 if any answer was not a 200 with a status
# body, or fewer than 20 polls were made.
import json, os, sys, threading, time, urllib.parse, urllib.request

port, cred, stop = sys.argv[1], sys.argv[2], sys.argv[3]
user, password = cred.split(":", 1)
res, slow = [], [0.0]


def login():
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    with urllib.request.urlopen("http://127.0.0.1:%s/login" % port, data=form, timeout=30) as r:
        return r.headers["Set-Cookie"].split(";")[0]


def poll():
    cookie = login()
    while not os.path.exists(stop):
        req = urllib.request.Request("http://127.0.0.1:%s/api/v1/status" % port,
                                     headers={"Cookie": cookie})
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                res.append(r.status if "open_series" in json.load(r) else -1)
        except Exception as e:  # noqa: BLE001 - every failure is a bad answer here
            res.append(str(e))
        slow[0] = max(slow[0], time.monotonic() - t0)
        time.sleep(0.1)


ts = [threading.Thread(target=poll) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
bad = [r for r in res if r != 200]
print("polls=%d bad=%d slowest=%.3fs %s" % (len(res), len(bad), slow[0], bad[:3] if bad else ""))
sys.exit(1 if bad or len(res) < 20 else 0)
