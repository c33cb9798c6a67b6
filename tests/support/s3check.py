# s3check.py PORT LOG SECRET - an S3 endpoint that verifies AWS SigV4: it first reproduces AWS's
# published example, then recomputes the signature of every PUT with SECRET and answers 200 when it
# matches, 403 SignatureDoesNotMatch otherwise; one JSON line per PUT in LOG.
import hashlib, hmac, http.server, json, sys
SECRET = sys.argv[3]

def sign(secret, method, path, query, headers, signed, payload_hash, amz_date, region, service):
    canon_headers = "".join("%s:%s\n" % (h, " ".join(headers[h].split())) for h in signed)
    creq = "\n".join([method, path, query, canon_headers, ";".join(signed), payload_hash])
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()

# AWS's published example (S3 API reference, "Signature Calculations for the Authorization
# Header", GET Object): must give f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
e3b = hashlib.sha256(b"").hexdigest()
ex = sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "GET", "/test.txt", "",
          {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
           "x-amz-content-sha256": e3b, "x-amz-date": "20130524T000000Z"},
          ["host", "range", "x-amz-content-sha256", "x-amz-date"], e3b, "20130524T000000Z", "us-east-1", "s3")
if ex != "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41":
    sys.exit("the verifier does not reproduce AWS's example: " + ex)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def check(self):
        auth = self.headers.get("Authorization", "")
        fields = dict(p.strip().split("=", 1) for p in auth.split(" ", 1)[1].split(","))
        key_id, date, region, service, _ = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        headers = {k.lower(): v for k, v in self.headers.items()}
        path, _, query = self.path.partition("?")
        want = sign(SECRET, self.command, path, query, headers, signed,
                    headers["x-amz-content-sha256"], headers["x-amz-date"], region, service)
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"path": path, "key_id": key_id, "signed": signed, "ok": want == fields["Signature"],
                                "scope": [date, region, service]}) + "\n")
        return want == fields["Signature"] and "x-amz-content-sha256" in signed and "host" in signed
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = self.check()
        body = b"" if ok else b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
        self.send_response(200 if ok else 403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
