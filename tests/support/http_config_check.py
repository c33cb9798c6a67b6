# http_config_check.py BASE CONFIG - the configuration editing API of a running coordinator at BASE
# (http://127.0.0.1:PORT) loaded from the file CONFIG, with users admin/adminpw, oper/operpw,
# view/viewpw: GET config/yaml, PUT config (with ?dry_run=1), POST config/rollback, for each role;
# invalid YAML answered 422 with its findings and the running configuration untouched; a body over
# 1 MiB; the session cookie without and with its CSRF token; the files written 0600, the previous one
# kept as CONFIG.prev; the audit trail naming the user. Prints one line per failed check and exits 1
# if any failed.
import base64, http.client, json, os, stat, sys, time, urllib.parse

BASE, CONFIG = sys.argv[1:3]
PREV = CONFIG + ".prev"
HOST = urllib.parse.urlparse(BASE)
USERS = {"admin": "adminpw", "oper": "operpw", "view": "viewpw"}
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("CHECK FAILED: " + what, file=sys.stderr)


def req(method, path, user=None, body=None, headers=None):
    """(status, headers dict lower-case, body bytes)"""
    h = dict(headers or {})
    if user:
        h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, USERS[user])).encode()).decode()
    c = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        c.putrequest(method, path, skip_accept_encoding=True)
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
    except (OSError, http.client.HTTPException) as e:
        return 0, {}, str(e).encode()
    finally:
        c.close()


def jbody(b):
    try:
        return json.loads(b)
    except ValueError:
        return {}


def generation():
    st, hd, b = req("GET", "/api/v1/config", user="view")
    return jbody(b).get("generation"), set(jbody(b).get("rules", {}))


def text(path):
    with open(path, "rb") as f:
        return f.read()


ORIG = text(CONFIG)
G0, RULES0 = generation()
check(G0 == 1, "generation at start: %r" % G0)

# --- the raw YAML: admins only ------------------------------------------------------------------
st, hd, b = req("GET", "/api/v1/config/yaml")
check(st == 401, "config/yaml without credentials: %s" % st)
for who in ("view", "oper"):
    st, hd, b = req("GET", "/api/v1/config/yaml", user=who)
    check(st == 403 and b"hunter2" not in b, "config/yaml as %s: %s %r" % (who, st, b[:200]))
st, hd, b = req("GET", "/api/v1/config/yaml", user="admin")
check(st == 200 and b == ORIG and hd.get("content-type", "").startswith("application/yaml")
      and hd.get("cache-control") == "no-store", "config/yaml as admin: %s %r %r" % (st, hd, b[:100]))

# --- nothing to roll back yet -----------------------------------------------------------------------
st, hd, b = req("POST", "/api/v1/config/rollback", user="admin")
check(st == 409 and "error" in jbody(b), "rollback without a previous file: %s %r" % (st, b))

NEW = ORIG + b"  extra: {rule: \"tags.StationName == 'EXTRA'\", target: archive}\n"
# --- roles ----------------------------------------------------------------------------------------
for who in ("view", "oper"):
    st, hd, b = req("PUT", "/api/v1/config", user=who, body=NEW)
    check(st == 403, "PUT config as %s: %s %r" % (who, st, b))
    st, hd, b = req("POST", "/api/v1/config/rollback", user=who)
    check(st == 403, "rollback as %s: %s %r" % (who, st, b))
st, hd, b = req("PUT", "/api/v1/config", body=NEW)
check(st == 401, "PUT config without credentials: %s" % st)
check(text(CONFIG) == ORIG and not os.path.exists(PREV), "the file changed after refused PUTs")

# --- invalid: 422 with findings, nothing written, the running configuration kept ------------------
BAD = ORIG + b"  broken: {rule: \"tags.Modality ==\", target: nowhere}\nport: [1\n"
for q in ("", "?dry_run=1"):
    st, hd, b = req("PUT", "/api/v1/config" + q, user="admin", body=BAD)
    j = jbody(b)
    f = j.get("findings", [])
    check(st == 422 and j.get("error") == "configuration invalid" and f and
          all(isinstance(x.get("line"), int) and isinstance(x.get("column"), int) and x.get("message") for x in f),
          "PUT bad YAML%s: %s %r" % (q, st, b[:300]))
BAD2 = ORIG.replace(b"targets:", b"targets:\n  web2: {target_type: dicom, ip: 127.0.0.1, port: notaport}", 1)
st, hd, b = req("PUT", "/api/v1/config", user="admin", body=BAD2)
f = jbody(b).get("findings", [])
line = ORIG.split(b"\n").index(b"targets:") + 2
check(st == 422 and any(x["line"] == line for x in f), "the finding of a bad port at line %d: %s %r" % (line, st, f))
st, hd, b = req("PUT", "/api/v1/config", user="admin", body=b"\xff\xfe: [")
check(st == 422, "PUT bytes that are not YAML: %s %r" % (st, b[:200]))
st, hd, b = req("PUT", "/api/v1/config", user="admin", body=b"x" * (1024 * 1024 + 1))
check(st == 413 and "error" in jbody(b), "PUT over 1 MiB: %s %r" % (st, b[:200]))
check(text(CONFIG) == ORIG and not os.path.exists(PREV), "the file changed after invalid PUTs")
check(generation() == (G0, RULES0), "the running configuration changed after invalid PUTs: %r" % (generation(),))

# --- dry run --------------------------------------------------------------------------------------
st, hd, b = req("PUT", "/api/v1/config?dry_run=1", user="admin", body=NEW)
check(st == 200 and jbody(b).get("valid") is True, "dry run: %s %r" % (st, b))
check(text(CONFIG) == ORIG and generation() == (G0, RULES0), "a dry run changed something")

# --- the session cookie: CSRF ---------------------------------------------------------------------
form = {"Content-Type": "application/x-www-form-urlencoded"}
st, hd, b = req("POST", "/login", body="username=admin&password=adminpw", headers=form)
cookie = hd.get("set-cookie", "").split(";")[0]
csrf = jbody(b).get("csrf", "")
check(st == 200 and cookie and csrf, "admin login: %s %r" % (st, b))
st, hd, b = req("PUT", "/api/v1/config", body=NEW, headers={"Cookie": cookie})
check(st == 403, "PUT config with the cookie but no CSRF token: %s %r" % (st, b))
st, hd, b = req("PUT", "/api/v1/config", body=NEW, headers={"Cookie": cookie, "X-CSRF-Token": "0" * len(csrf)})
check(st == 403, "PUT config with a wrong CSRF token: %s %r" % (st, b))
check(text(CONFIG) == ORIG, "the file changed after PUTs without CSRF")

# --- save: written 0600, the old file kept, reloaded ----------------------------------------------
os.chmod(CONFIG, 0o644)
st, hd, b = req("PUT", "/api/v1/config", body=NEW, headers={"Cookie": cookie, "X-CSRF-Token": csrf})
j = jbody(b)
check(st == 200 and j.get("generation") == G0 + 1, "PUT config: %s %r" % (st, b))
check(text(CONFIG) == NEW and text(PREV) == ORIG, "after PUT: the file is new and .prev the old one")
for p in (CONFIG, PREV):
    check(stat.S_IMODE(os.stat(p).st_mode) == 0o600, "%s mode %o" % (p, stat.S_IMODE(os.stat(p).st_mode)))
check(generation() == (G0 + 1, RULES0 | {"extra"}), "after PUT the rules in force: %r" % (generation(),))
left = [n for n in os.listdir(os.path.dirname(CONFIG)) if n.startswith(os.path.basename(CONFIG) + ".") and
        n != os.path.basename(PREV)]
check(left == [], "temporary files left: %r" % left)

# --- rollback: the two files swapped, reloaded ----------------------------------------------------
st, hd, b = req("POST", "/api/v1/config/rollback", user="admin")
check(st == 200 and jbody(b).get("generation") == G0 + 2, "rollback: %s %r" % (st, b))
check(text(CONFIG) == ORIG and text(PREV) == NEW, "after rollback: the file is the old one, .prev the new one")
check(generation() == (G0 + 2, RULES0), "after rollback the rules in force: %r" % (generation(),))

# --- the audit trail names the user ---------------------------------------------------------------
st, hd, b = req("GET", "/api/v1/history?since=%d" % (time.time() - 600), user="view")
infos = [e.get("info") for e in jbody(b).get("events", []) if e.get("event") == "http.action"]
check("config save by admin" in infos and "config rollback by admin" in infos, "audit trail: %r" % infos)

print("%d failed checks" % len(FAILS) if FAILS else "config API: every check passed")
sys.exit(1 if FAILS else 0)
