#!/usr/bin/python3
"""Misbehaving DICOM peers for the test_hostile_* integration tests.

Each subcommand opens raw sockets to HOST PORT, misbehaves for at most --hold seconds and prints
one line per connection on stdout: "closed_after=<s>" when the receiver closed it (or reset it), or
"open_after=<s>" when --hold ran out first, so a test asserts on what the receiver did and when.
"ready" is printed (and flushed) once every connection is doing its misbehaviour.

  tls-trickle  complete ClientHello, then one byte of the next record every --every s
  slow         associate, C-STORE command, then a 10-byte PDV every --every s
  idle-assoc   associate, then send nothing
  idle         connect, send nothing
  flood        open --count connections (nothing sent) as fast as possible, hold them
  rq-flood     --count association requests at once; prints how each was answered
  abort        associate with --aet/--aec (any bytes), then A-ABORT; prints the answer PDU type
  bad-pdata    associate with --aet/--aec, then a malformed P-DATA-TF
"""
import argparse
import os
import select
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_dicom as g  # noqa: E402  (PDU item helpers)

T0 = time.monotonic()


def elapsed():
    return time.monotonic() - T0


def ae_bytes(s):
    # any bytes, including control characters, padded to 16 like an AE title
    b = s.encode("latin-1")
    return b.ljust(16, b" ")[:16]


def assoc_rq(aec, aet):
    app = g._item(0x10, b"1.2.840.10008.3.1.1.1")
    pc = g._item(0x20, bytes([1, 0, 0, 0]) + g._item(0x30, g.CT_CLASS.encode()) +
                 g._item(0x40, g.EXPLICIT_LE.encode()))
    ui = g._item(0x50, g._item(0x51, struct.pack(">I", 16384)) +
                 g._item(0x52, (g.ROOT + ".0.3").encode()))
    rq = struct.pack(">HH", 1, 0) + ae_bytes(aec) + ae_bytes(aet) + b"\0" * 32 + app + pc + ui
    return struct.pack(">BBI", 1, 0, len(rq)) + rq


def pdv(ctrl, chunk):
    b = struct.pack(">IB", len(chunk) + 2, 1) + bytes([ctrl]) + chunk
    return struct.pack(">BBI", 4, 0, len(b)) + b


def store_command(sop_uid):
    cmd = (g._cmd_element(0, 0x0002, g._uid_bytes(g.CT_CLASS)) +
           g._cmd_element(0, 0x0100, struct.pack("<H", 0x0001)) +
           g._cmd_element(0, 0x0110, struct.pack("<H", 1)) +
           g._cmd_element(0, 0x0700, struct.pack("<H", 0)) +
           g._cmd_element(0, 0x0800, struct.pack("<H", 0x0000)) +
           g._cmd_element(0, 0x1000, g._uid_bytes(sop_uid)))
    return pdv(0x03, g._cmd_element(0, 0x0000, struct.pack("<I", len(cmd))) + cmd)


def connect(a):
    s = socket.create_connection((a.host, a.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def associate(a, s, aec="ANY-SCP", aet="HOSTILE"):
    s.sendall(assoc_rq(aec, aet))
    ptype, _ = g._recv_pdu(s)
    return ptype


def peer_closed(s):
    """True if the receiver closed or reset s (without blocking)."""
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(65536, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def try_send(s, b):
    try:
        s.sendall(b)
        return True
    except OSError:
        return False


def hold(a, socks, step):
    """Call step(i, sock) every --every s on each open socket until --hold; report each."""
    t_end = time.monotonic() + a.hold
    closed = [None] * len(socks)
    next_step = time.monotonic()
    while time.monotonic() < t_end and None in closed:
        now = time.monotonic()
        for i, s in enumerate(socks):
            if closed[i] is None and peer_closed(s):
                closed[i] = elapsed()
        if now >= next_step:
            for i, s in enumerate(socks):
                if closed[i] is None and step is not None and not try_send(s, step(i)):
                    closed[i] = elapsed()
            next_step = now + a.every
        time.sleep(0.05)
    for i, c in enumerate(closed):
        print("closed_after=%.1f" % c if c is not None else "open_after=%.1f" % elapsed())
        socks[i].close()


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def cmd_tls_trickle(a):
    socks = []
    for _ in range(a.count):
        s = connect(a)
        s.sendall(client_hello())
        socks.append(s)
    print("ready", flush=True)
    started = set()

    def step(i):
        # the client's next flight: a handshake record header, then its body a byte at a time
        if i in started:
            return b"\x0b"
        started.add(i)
        return b"\x16\x03\x03\x40\x00"
    hold(a, socks, step)


def cmd_slow(a):
    socks = []
    for k in range(a.count):
        s = connect(a)
        if associate(a, s) != 2:
            sys.exit("association not accepted")
        s.sendall(store_command(g.ROOT + ".66.%d" % k))
        socks.append(s)
    print("ready", flush=True)
    hold(a, socks, lambda i: pdv(0x00, b"\0" * a.pdv_bytes))


def cmd_idle_assoc(a):
    socks = []
    for _ in range(a.count):
        s = connect(a)
        if associate(a, s) != 2:
            sys.exit("association not accepted")
        socks.append(s)
    print("ready", flush=True)
    hold(a, socks, None)


def cmd_idle(a):
    socks = [connect(a) for _ in range(a.count)]
    print("ready", flush=True)
    hold(a, socks, None)


def cmd_flood(a):
    # non-blocking connects, all at once: a full backlog must not make the flood itself slow
    socks = []
    for _ in range(a.count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((a.host, a.port))
        socks.append(s)
    t_end = time.monotonic() + 2
    pending = list(socks)
    while pending and time.monotonic() < t_end:
        _, w, _ = select.select([], pending[:500], [], 0.1)
        pending = [s for s in pending if s not in w]
    print("ready connected=%d" % (len(socks) - len(pending)), flush=True)
    time.sleep(a.hold)
    for s in socks:
        s.close()


def cmd_rq_flood(a):
    # --count associations requested at once and never used: beyond the threads and the queue,
    # each should get an A-ASSOCIATE-RJ at once (pdu type 3); the rest hold what they got
    socks = []
    for _ in range(a.count):
        s = connect(a)
        s.sendall(assoc_rq(a.aec, a.aet))
        socks.append(s)
    answers = {}
    t_end = time.monotonic() + a.hold
    waiting = list(socks)
    while waiting and time.monotonic() < t_end:
        r, _, _ = select.select(waiting, [], [], 0.1)
        for s in r:
            try:
                b = s.recv(1)
                key = "0x%02x" % b[0] if b else "closed"
            except OSError:
                key = "reset"
            answers[key] = answers.get(key, 0) + 1
            waiting.remove(s)
    answers["none"] = len(waiting)
    print("ready " + " ".join("%s=%d" % kv for kv in sorted(answers.items())), flush=True)
    for s in socks:
        s.close()


def cmd_abort(a):
    s = connect(a)
    ptype = associate(a, s, a.aec, a.aet)
    print("answer=0x%02x" % ptype)
    if ptype == 2:
        s.sendall(struct.pack(">BBI", 7, 0, 4) + b"\0" * 4)
    s.close()


def cmd_bad_pdata(a):
    # a P-DATA-TF whose PDV claims more bytes than the PDU holds: DCMTK's error for it
    # is several lines of text
    s = connect(a)
    ptype = associate(a, s, a.aec, a.aet)
    print("answer=0x%02x" % ptype)
    if ptype == 2:
        body = struct.pack(">IBB", 1000, 1, 3) + b"\0" * 8
        s.sendall(struct.pack(">BBI", 4, 0, len(body)) + body)
        try:
            g._recv_pdu(s)
        except (OSError, ConnectionError):
            pass
    s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cmd", choices=["tls-trickle", "slow", "idle-assoc", "idle", "flood", "rq-flood",
                                       "abort", "bad-pdata"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--hold", type=float, default=10)
    ap.add_argument("--every", type=float, default=1)
    ap.add_argument("--pdv-bytes", type=int, default=10)
    ap.add_argument("--aet", default="HOSTILE")
    ap.add_argument("--aec", default="ANY-SCP")
    a = ap.parse_args()
    {"tls-trickle": cmd_tls_trickle, "slow": cmd_slow, "idle-assoc": cmd_idle_assoc,
     "idle": cmd_idle, "flood": cmd_flood, "rq-flood": cmd_rq_flood,
     "abort": cmd_abort, "bad-pdata": cmd_bad_pdata}[a.cmd](a)


if __name__ == "__main__":
    main()
