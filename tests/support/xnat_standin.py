#!/usr/bin/env python3
"""xnat_standin.py - a stand-in for the parts of XNAT's REST API that the xnat target uses (python3
standard library only), checking each request as XNAT would take it:

  POST   /data/JSESSION          basic auth of --user/--password: 200, the session id as the body and
                                 Set-Cookie JSESSIONID; wrong credentials: 401
  POST   /data/services/import   the session cookie (401 without), PROJECT_ID (must be --project,
                                 else 404), SUBJECT_ID, EXPT_LABEL, rename=true, overwrite=delete,
                                 inbody=true and nothing else; Content-Type application/zip with a
                                 Content-Length; a zip whose CRCs check, whose members are 0.dcm,
                                 1.dcm... stored, without data descriptors (java.util.zip's
                                 ZipInputStream refuses those on stored members) and each a DICOM
                                 Part 10 file ("DICM" at 128): 200 and the session's URI
  DELETE /data/JSESSION          the session cookie: 200, the session ends

Any other request, or one that breaks a rule, is answered 400 (404 for unknown paths) and recorded with
its "problem". Every request is one JSON line in RECORD (method, path, query, whether basic auth was
sent and matched, whether a live session cookie came, the import's members with their sizes and
SHA-256): never the password itself. The file FAIL (if it exists) holds a number N: the next N imports
are answered 503 (N is decremented), for retry tests. With --save DIR each zip that is accepted is
kept as DIR/import-K.zip (K counts from 1), and its record names it.

usage: xnat_standin.py PORT RECORD --user U --password-file F --project P [--fail FILE] [--save DIR]
"""
import argparse
import base64
import hashlib
import http.server
import io
import json
import os
import secrets
import struct
import sys
import urllib.parse
import zipfile

IMPORT_PARAMS = {"PROJECT_ID", "SUBJECT_ID", "EXPT_LABEL", "rename", "overwrite", "inbody"}
BODY_MAX = 512 << 20


def check_zip(body):
    """(members, problem): members as [{name, size, sha256}] in archive order"""
    try:
        z = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as e:
        return [], "not a zip: %s" % e
    bad = z.testzip()
    if bad is not None:
        return [], "CRC of %s does not match" % bad
    members = []
    infos = z.infolist()
    for i, info in enumerate(infos):
        if info.filename != "%d.dcm" % i:
            return [], "member %d is named %r, not %d.dcm" % (i, info.filename, i)
        if info.compress_type != zipfile.ZIP_STORED:
            return [], "%s is compressed (method %d)" % (info.filename, info.compress_type)
        if info.flag_bits & 0x08:
            return [], "%s has a data descriptor" % info.filename
        # the local header must carry the CRC and sizes itself (no descriptor)
        sig, _, _, _, _, _, crc, csize, usize = struct.unpack_from("<IHHHHHIII", body, info.header_offset)
        if sig != 0x04034B50 or (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size):
            return [], "the local header of %s disagrees with the central directory" % info.filename
        data = z.read(info)
        if data[128:132] != b"DICM":
            return [], "%s is not a DICOM Part 10 file" % info.filename
        members.append({"name": info.filename, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    if not members:
        return [], "empty zip"
    return members, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("record")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--fail")
    ap.add_argument("--save")
    a = ap.parse_args()
    with open(a.password_file) as f:
        password = f.read().rstrip("\n")
    want_auth = "Basic " + base64.b64encode(("%s:%s" % (a.user, password)).encode()).decode()
    sessions = set()
    saved = [0]

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, code, body=b"", ctype="text/plain", cookie=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.end_headers()
            self.wfile.write(body)

        def session(self):
            c = self.headers.get("Cookie") or ""
            for part in c.split(";"):
                k, _, v = part.strip().partition("=")
                if k == "JSESSIONID" and v in sessions:
                    return v
            return None

        def record(self, rec):
            with open(a.record, "a") as f:
                f.write(json.dumps(rec) + "\n")

        def body(self):
            n = self.headers.get("Content-Length")
            if n is None or not n.isdigit() or int(n) > BODY_MAX:
                return None
            return self.rfile.read(int(n))

        def handle_one(self, method):
            path, _, query = self.path.partition("?")
            q = urllib.parse.parse_qs(query, keep_blank_values=True)
            auth = self.headers.get("Authorization")
            rec = {"method": method, "path": path, "query": {k: v[-1] for k, v in q.items()},
                   "auth_sent": auth is not None, "auth_ok": auth == want_auth,
                   "session": self.session() is not None, "problem": None}
            body = self.body() if method == "POST" else b""
            code, out, cookie = 400, b"", None
            if body is None:
                rec["problem"] = "no or too large Content-Length"
            elif path == "/data/JSESSION" and method == "POST":
                if body:
                    rec["problem"] = "a login with a body"
                elif rec["auth_ok"]:
                    sid = secrets.token_hex(16).upper()
                    sessions.add(sid)
                    code, out, cookie = 200, sid.encode(), "JSESSIONID=%s; Path=/; HttpOnly" % sid
                else:
                    code, out = 401, b"<html><body>Login attempt failed.</body></html>"
            elif path == "/data/JSESSION" and method == "DELETE":
                sid = self.session()
                if sid is None:
                    rec["problem"] = "logout without a session"
                else:
                    sessions.discard(sid)
                    code = 200
            elif path == "/data/services/import" and method == "POST":
                code, out = self.import_(rec, q, body)
            else:
                code, rec["problem"] = 404, "unknown request"
            rec["http"] = code
            self.record(rec)
            self.answer(code, out, cookie=cookie)

        def import_(self, rec, q, body):
            if not rec["session"]:
                return 401, b"no session"
            if set(q) != IMPORT_PARAMS or any(len(v) != 1 for v in q.values()):
                rec["problem"] = "query parameters %s" % sorted(q)
                return 400, b"bad parameters"
            fixed = {k: q[k][0] for k in ("rename", "overwrite", "inbody")}
            if fixed != {"rename": "true", "overwrite": "delete", "inbody": "true"}:
                rec["problem"] = "parameters %s" % fixed
                return 400, b"bad parameters"
            if not q["SUBJECT_ID"][0] or not q["EXPT_LABEL"][0]:
                rec["problem"] = "empty SUBJECT_ID or EXPT_LABEL"
                return 400, b"bad parameters"
            if self.headers.get("Content-Type") != "application/zip":
                rec["problem"] = "Content-Type %s" % self.headers.get("Content-Type")
                return 400, b"bad content type"
            rec["members"], rec["problem"] = check_zip(body)
            if rec["problem"]:
                return 400, rec["problem"].encode()
            if a.fail and os.path.exists(a.fail):
                with open(a.fail) as f:
                    n = int(f.read().strip() or 0)
                if n > 0:
                    with open(a.fail, "w") as f:
                        f.write("%d\n" % (n - 1))
                    rec["answered_503"] = True
                    return 503, b"Service Unavailable"
            if q["PROJECT_ID"][0] != a.project:
                return 404, b"Unknown project: " + q["PROJECT_ID"][0].encode()
            if a.save:
                saved[0] += 1
                rec["saved"] = os.path.join(a.save, "import-%d.zip" % saved[0])
                with open(rec["saved"], "wb") as f:
                    f.write(body)
            uri = "/data/archive/projects/%s/subjects/%s/experiments/%s" % (
                a.project, q["SUBJECT_ID"][0], q["EXPT_LABEL"][0])
            return 200, uri.encode() + b"\r\n"

        def do_POST(self):
            self.handle_one("POST")

        def do_DELETE(self):
            self.handle_one("DELETE")

        def do_GET(self):
            self.handle_one("GET")

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", a.port), H).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
