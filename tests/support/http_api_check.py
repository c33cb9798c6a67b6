# http_api_check.py BASE ROOT TOKEN OK_TASK ERR_TASK - the coordinator's HTTP API against a running
# coordinator at BASE (http://127.0.0.1:PORT) whose storage root is ROOT, with users admin/adminpw,
# oper/operpw, view/viewpw and the viewer token TOKEN; OK_TASK is a task in success/, ERR_TASK one in
# error/. Every endpoint with every role, 401/403, unknown, hostile and over-long ids, huge bodies,
# bad JSON, the login form with its cookie and CSRF token, retry and force-complete with the audit
# trail naming the user. Prints one line per failed check and exits 1 if any failed.
import base64, http.client, json, sys, time, urllib.parse

BASE, ROOT, TOKEN, OK_TASK, ERR_TASK = sys.argv[1:6]
HOST = urllib.parse.urlparse(BASE)
FAILS = []
USERS = {"admin": "adminpw", "oper": "operpw", "view": "viewpw"}


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("CHECK FAILED: " + what, file=sys.stderr)


def req(method, path, user=None, token=None, body=None, headers=None, cookie=None):
    """(status, headers dict lower-case, body bytes); path is sent as is (no quoting)"""
    h = dict(headers or {})
    if user:
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (user, USERS.get(user, "x"))).encode()).decode()
    if token:
        h["Authorization"] = "Bearer " + token
    if cookie:
        h["Cookie"] = cookie
    c = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=30)
    try:
        return _send(c, method, path, h, body)
    except (OSError, http.client.HTTPException) as e:
        return 0, {}, str(e).encode()
    finally:
        c.close()


def _send(c, method, path, h, body):
    if True:
        c.putrequest(method, path, skip_accept_encoding=True)
        data = body.encode() if isinstance(body, str) else body
        for k, v in h.items():
            c.putheader(k, v)
        if data is not None:
            c.putheader("Content-Length", str(len(data)))
        c.endheaders()
        if data is not None:
            try:
                c.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def jget(path, user="view", **kw):
    st, hd, b = req("GET", path, user=user, **kw)
    try:
        return st, json.loads(b)
    except ValueError:
        return st, b


def is_error_json(b):
    try:
        j = json.loads(b)
        return isinstance(j, dict) and isinstance(j.get("error"), str) and j["error"] != ""
    except ValueError:
        return False


# --- no auth: health and readiness; everything else 401 with a challenge -----------------------
st, j = jget("/healthz", user=None)
check(st == 200 and j == {"ok": True}, "healthz: %s %r" % (st, j))
st, j = jget("/readyz", user=None)
check(st == 200 and j.get("ready") is True and j.get("storage") is True and j.get("scheduler") is True,
      "readyz: %s %r" % (st, j))
for p in ("/api/v1/status", "/api/v1/series", "/api/v1/studies", "/api/v1/tasks", "/api/v1/history",
          "/api/v1/tasks/" + OK_TASK, "/api/v1/session", "/metrics"):
    st, hd, b = req("GET", p)
    check(st == 401 and is_error_json(b) and "www-authenticate" in hd, "no credentials %s: %s %r" % (p, st, b))
st, hd, b = req("GET", "/api/v1/status", user="view", headers={})
st2, hd, b = req("GET", "/api/v1/status", headers={"Authorization": "Basic " + base64.b64encode(b"view:wrong").decode()})
check(st2 == 401, "wrong password: %s" % st2)
st, hd, b = req("GET", "/api/v1/status", token="mct_" + "0" * 64)
check(st == 401, "unknown token: %s" % st)
st, hd, b = req("GET", "/api/v1/status", headers={"Authorization": "Basic !!!"})
check(st == 401, "malformed Basic: %s" % st)

# --- reads, every role --------------------------------------------------------------------------
for who in ("view", "oper", "admin"):
    st, j = jget("/api/v1/status", user=who)
    check(st == 200 and {"open_series", "studies_waiting", "tasks", "scheduler", "receiver", "config_generation",
                         "error_tasks", "storage_free_bytes"} <= set(j), "status as %s: %s %r" % (who, st, j))
    st, j = jget("/api/v1/session", user=who)
    check(st == 200 and j.get("user") == who and "csrf" not in j, "session as %s: %r" % (who, j))
st, j = jget("/api/v1/status", user=None, token=TOKEN)
check(st == 200 and j["receiver"]["instances"] >= 7 and j["error_tasks"] >= 1 and j["config_generation"] == 1,
      "status with the token: %s %r" % (st, j))
st, j = jget("/api/v1/series")
check(st == 200 and isinstance(j.get("series"), list), "series: %s %r" % (st, j))
st, j = jget("/api/v1/studies")
check(st == 200 and isinstance(j.get("studies"), list), "studies: %s %r" % (st, j))
st, j = jget("/api/v1/tasks")
check(st == 200 and isinstance(j.get("tasks"), list), "tasks: %s %r" % (st, j))
st, j = jget("/api/v1/tasks?state=success")
check(st == 200 and [t["id"] for t in j["tasks"]] == [OK_TASK] and j["tasks"][0]["rule"] == "ok",
      "tasks?state=success: %s %r" % (st, j))
st, j = jget("/api/v1/tasks?state=error&limit=1")
check(st == 200 and [t["id"] for t in j["tasks"]] == [ERR_TASK], "tasks?state=error: %s %r" % (st, j))
st, j = jget("/api/v1/tasks?state=success&before=1")
check(st == 200 and j["tasks"] == [], "tasks before 1970: %s %r" % (st, j))
st, j = jget("/api/v1/tasks/" + OK_TASK)
check(st == 200 and j["state"] == "success" and j["task"]["id"] == OK_TASK and j["result"]["ok"] is True
      and isinstance(j["attempts"], list), "tasks/{ok}: %s %r" % (st, str(j)[:300]))
st, j = jget("/api/v1/tasks/" + ERR_TASK)
check(st == 200 and j["state"] == "error" and j["result"]["ok"] is False and isinstance(j["log_tail"], str),
      "tasks/{error}: %s %r" % (st, str(j)[:300]))

st, hd, b = req("GET", "/api/v1/config", user="view")
j = json.loads(b) if st == 200 else {}
check(st == 200 and set(j.get("rules", {})) == {"ok", "bad"} and j["targets"]["web"]["http_password"] == "(redacted)"
      and j["targets"]["web"]["http_user"] == "(redacted)" and j["targets"]["archive"]["target_type"] == "folder"
      and b"hunter2" not in b, "config, secrets redacted: %s %r" % (st, b[:400]))
st, j = jget("/api/v1/targets")
check(st == 200 and {t["name"] for t in j["targets"]} == {"archive", "dead", "web"}, "targets: %r" % j)

def rule_test(body, user="view"):
    st, hd, b = req("POST", "/api/v1/rules/test", user=user, body=json.dumps(body),
                    headers={"Content-Type": "application/json"})
    try:
        return st, json.loads(b)
    except ValueError:
        return st, b

st, j = rule_test({"rule": "tags.Modality == 'CT'", "tags": {"Modality": "CT"}})
check(st == 200 and j["result"] == "trigger" and j["tags"][0]["value"] == "CT", "rules/test on tags: %s %r" % (st, j))
st, j = rule_test({"rule": "tags.Modality == 'MR'", "tags": {}})
check(st == 200 and j["result"] == "reject" and j["tags"][0]["value"] is None, "rules/test, tag missing: %s %r" % (st, j))
ser = [t["series"] for t in jget("/api/v1/tasks?state=success")[1]["tasks"]][0]
st, j = rule_test({"rule": "tags.StationName == 'STATION1' and 'ller' in tags.PatientName", "series": ser})
check(st == 200 and j["result"] == "trigger", "rules/test on a routed series: %s %r" % (st, j))
st, j = rule_test({"rule": "tags.Modality ==", "tags": {}})
check(st == 422 and j["error"].startswith("rule:1:"), "rules/test, a syntax error: %s %r" % (st, j))
st, j = rule_test({"rule": "True", "series": "1.2.3.999"})
check(st == 404, "rules/test, an unknown series: %s %r" % (st, j))
for bad in ({"rule": "True"}, {"rule": 1, "tags": {}}, {"rule": "True", "tags": {}, "series": "1.2"},
            {"rule": "True", "series": "../x"}, {"rule": "True", "tags": "x"}, [1]):
    st, j = rule_test(bad)
    check(st == 422, "rules/test with %r: %s %r" % (bad, st, j))
st, j = rule_test({"rule": "True", "tags": {}}, user=None)
check(st == 401, "rules/test without credentials: %s" % st)

# --- history: patient name case-insensitive (UTF-8), MRN, accession, UIDs, task -------------------
def events(q):
    st, j = jget("/api/v1/history" + q)
    check(st == 200 and isinstance(j, dict), "history%s: %s %r" % (q, st, j))
    return j.get("events", []) if isinstance(j, dict) else []

ev = events("?patient=" + urllib.parse.quote("MÜLLER"))
check(any(e["event"] == "task.success" and e["task"] == OK_TASK for e in ev)
      and all(e["patient_name"] in (None, "Müller^Jörg") for e in ev)
      and any(e["event"] == "series.received" for e in ev),
      "history by patient MÜLLER (stored Müller^Jörg): %r" % ev)
ev = events("?patient=" + urllib.parse.quote("ΩΜΈΓΑ"))
check(any(e["task"] == ERR_TASK for e in ev) and not any(e["task"] == OK_TASK for e in ev),
      "history by patient ΩΜΈΓΑ (stored Ωμέγα^Δέλτα): %r" % ev)
check(events("?patient=nobody") == [], "history for an unknown patient is empty")
ev = events("?mrn=PID00001")
check(any(e["task"] == OK_TASK for e in ev), "history by MRN: %r" % ev)
ev = events("?accession=ACC00002")
check(any(e["task"] == ERR_TASK for e in ev), "history by accession: %r" % ev)
ev = events("?task=" + OK_TASK)
check(ev and all(e["task"] in (OK_TASK, None) for e in ev) and any(e["event"] == "task.created" for e in ev),
      "history by task: %r" % ev)
ev = events("?since=%d&limit=2" % (time.time() - 3600))
check(len(ev) == 2, "history since an hour ago, limit 2: %r" % ev)
check(events("?until=1") == [], "history until 1970 is empty")

# --- bad input ----------------------------------------------------------------------------------
bad_q = ["/api/v1/tasks?state=bogus", "/api/v1/tasks?limit=0", "/api/v1/tasks?limit=99999",
         "/api/v1/tasks?limit=-1", "/api/v1/tasks?before=yesterday", "/api/v1/history?study=../../etc",
         "/api/v1/history?series=1.2.x", "/api/v1/history?task=../x", "/api/v1/history?patient=%FF%FE",
         "/api/v1/history?patient=" + "a" * 200, "/api/v1/history?since=1e9", "/api/v1/history?mrn=%00"]
for p in bad_q:
    st, hd, b = req("GET", p, user="view")
    check(st == 422 and is_error_json(b), "bad query %s: %s %r" % (p, st, b))
hostile = ["/api/v1/tasks/..%2F..%2F..%2Fetc%2Fpasswd", "/api/v1/tasks/../../etc/passwd",
           "/api/v1/tasks/%2e%2e", "/api/v1/tasks/" + "a" * 5000, "/api/v1/tasks/%FF%FE",
           "/api/v1/tasks/0c9e4f3a-6f1d-11ef-8a3b-0242ac120002", "/api/v1/tasks/" + OK_TASK.upper(),
           "/api/v1/tasks/" + OK_TASK + "%00", "/api/v1/tasks/" + OK_TASK + "/../" + ERR_TASK,
           "/api/v1/nothing", "/api/v1/", "/api/v1//status", "/etc/passwd", "/api/v1/tasks/" + OK_TASK + "/"]
for p in hostile:
    st, hd, b = req("GET", p, user="view")
    check(st in (404, 414, 431) and (st != 404 or is_error_json(b)) and b"root:" not in b,
          "hostile path %s: %s %r" % (p[:80], st, b[:200]))
st, hd, b = req("POST", "/api/v1/series/1.2.3/force-complete", user="oper", body="x" * (1024 * 1024))
check(st == 413 and is_error_json(b), "1 MiB body: %s %r" % (st, b[:100]))
st, hd, b = req("POST", "/api/v1/series/1.2.3/force-complete", user="oper", body="{not json")
check(st == 422 and is_error_json(b), "bad JSON: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/series/1.2.3/force-complete", user="oper", body="[1]")
check(st == 422 and is_error_json(b), "JSON not an object: %s %r" % (st, b))
st, hd, b = req("GET", "/api/v1/status", user="view", headers={"X-Big": "a" * 40000})
check(st in (0, 413, 431), "40 kB header: refused or the connection closed, got %s" % st)
st, hd, b = req("DELETE", "/api/v1/status", user="admin")
check(st == 405 and is_error_json(b), "DELETE status: %s %r" % (st, b))

# --- actions: roles, unknown ids, 409, audit trail ------------------------------------------------
st, hd, b = req("POST", "/api/v1/tasks/%s/retry" % ERR_TASK, user="view")
check(st == 403 and is_error_json(b), "retry as viewer: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/%s/retry" % ERR_TASK, token=TOKEN)
check(st == 403, "retry with a viewer token: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/0c9e4f3a-6f1d-11ef-8a3b-0242ac120002/retry", user="oper")
check(st == 404 and is_error_json(b), "retry of an unknown task: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/%s/retry" % OK_TASK, user="oper")
check(st == 409 and is_error_json(b), "retry of a task in success/: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/%s/reroute" % OK_TASK, user="oper")
check(st == 409 and is_error_json(b), "reroute of a task in success/: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/0c9e4f3a-6f1d-11ef-8a3b-0242ac120002/reroute", user="oper")
check(st == 404 and is_error_json(b), "reroute of an unknown task: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/%s/reroute" % ERR_TASK, user="view")
check(st == 403, "reroute as a viewer: %s" % st)
st, hd, b = req("POST", "/api/v1/tasks/..%2Fx/retry", user="oper")
check(st == 404, "retry of a hostile id: %s" % st)
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", user="oper")
check(st == 404 and is_error_json(b), "force-complete of no open series: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/studies/x.y/force-complete", user="oper")
check(st == 404, "force-complete of a hostile UID: %s" % st)
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", user="oper",
                headers={"Origin": "http://evil.example"})
check(st == 403, "a Basic POST from another site's page (Origin): %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", user="oper",
                headers={"Sec-Fetch-Site": "cross-site"})
check(st == 403, "a Basic POST from another site's page (Sec-Fetch-Site): %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", user="oper",
                headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})
check(st == 404, "a Basic POST from our own origin reaches the action: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/tasks/%s/retry" % ERR_TASK, user="oper")
check(st == 200 and json.loads(b).get("ok") is True, "retry as operator: %s %r" % (st, b))
ev = events("?task=" + ERR_TASK)
check(any(e["event"] == "http.action" and "oper" in (e["info"] or "") for e in ev),
      "the audit trail names the user of the retry: %r" % ev)

# --- login form, cookie, CSRF -------------------------------------------------------------------
form = {"Content-Type": "application/x-www-form-urlencoded"}
st, hd, b = req("POST", "/login", body="username=oper&password=wrong", headers=form)
check(st == 401 and "set-cookie" not in hd, "login with a wrong password: %s" % st)
st, hd, b = req("POST", "/login", body="username=oper", headers=form)
check(st == 422, "login without a password: %s" % st)
st, hd, b = req("POST", "/login", body="username=oper&password=operpw", headers=form)
sc = hd.get("set-cookie", "")
check(st == 200 and "HttpOnly" in sc and "SameSite=Strict" in sc and sc.startswith("mc_session="),
      "login: %s %r" % (st, sc))
cookie = sc.split(";")[0]
csrf = json.loads(b).get("csrf", "")
check(len(csrf) == 64, "login answers a CSRF token: %r" % b)
st, j = jget("/api/v1/session", user=None, cookie=cookie)
check(st == 200 and j.get("user") == "oper" and j.get("role") == "operator" and j.get("csrf") == csrf,
      "session with the cookie: %s %r" % (st, j))
st, j = jget("/api/v1/status", user=None, cookie=cookie)
check(st == 200, "status with the cookie: %s" % st)
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", cookie=cookie)
check(st == 403 and b"CSRF" in b, "POST with the cookie, no CSRF token: %s %r" % (st, b))
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", cookie=cookie,
                headers={"X-CSRF-Token": "0" * 64})
check(st == 403, "POST with the cookie, wrong CSRF token: %s" % st)
st, hd, b = req("POST", "/api/v1/series/1.2.3.4/force-complete", cookie=cookie, headers={"X-CSRF-Token": csrf})
check(st == 404, "POST with the cookie and the CSRF token reaches the action: %s %r" % (st, b))
st, hd, b = req("GET", "/api/v1/status", cookie="mc_session=" + "0" * 64)
check(st == 401, "a made-up session: %s" % st)
st, hd, b = req("POST", "/logout", cookie=cookie, headers={"X-CSRF-Token": csrf})
check(st == 200, "logout: %s %r" % (st, b))
st, hd, b = req("GET", "/api/v1/status", cookie=cookie)
check(st == 401, "the cookie after logout: %s" % st)

# --- metrics --------------------------------------------------------------------------------------
st, hd, b = req("GET", "/metrics", token=TOKEN)
text = b.decode()
check(st == 200 and hd.get("content-type", "").startswith("text/plain; version=0.0.4"), "metrics: %s %r" % (st, hd))
for want in ("mercure_received_instances_total 7", "mercure_series_completed_total 2",
             'mercure_rule_triggered_total{rule="ok"} 1', 'mercure_rule_triggered_total{rule="bad"} 1',
             'mercure_tasks_finished_total{kind="dispatch",result="success"} 1',
             'mercure_tasks_finished_total{kind="dispatch",result="error"}', "mercure_storage_free_bytes ",
             "mercure_config_generation 1", "# TYPE mercure_received_instances_total counter",
             "# TYPE mercure_storage_free_bytes gauge", "mercure_received_bytes_total "):
    check(want in text, "metrics has %r:\n%s" % (want, text))
st, hd, b = req("GET", "/metrics", user="view")
check(st == 200, "metrics with a viewer's password: %s" % st)

if FAILS:
    print("%d check(s) failed" % len(FAILS), file=sys.stderr)
    sys.exit(1)
print("all checks passed")
