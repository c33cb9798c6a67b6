#!/usr/bin/python3
"""e2e_dicom.py - helpers for the test_route_* integration tests (run with /usr/bin/python3).

  retag DIR KEY=VALUE...      rewrite every DICOM file in DIR with these attributes (keywords,
                              e.g. SeriesDescription='Sag T1' Modality=PT); in place
  check --want DIR... --got DIR... [--dup-ok] [--quiet]
                              every instance (SOPInstanceUID) of the --want files is found in the
                              --got trees exactly once with the same PixelData sha256 and the same
                              SeriesInstanceUID; no unexpected instance. Walks --got recursively and
                              reads every file that parses as DICOM (skips .complete, task.json...).
                              Prints a JSON summary on stdout; exit 1 with the reason on stderr.
                              --dup-ok: duplicates (same content) are reported but not an error.
  sops DIR...                 print "SOPInstanceUID sha256(PixelData)" for every DICOM file, sorted
"""
import argparse
import hashlib
import json
import os
import sys


def _pydicom():
    try:
        import pydicom
    except ImportError:
        sys.exit("pydicom missing: run me with /usr/bin/python3")
    return pydicom


def walk(dirs):
    for d in dirs:
        if os.path.isfile(d):
            yield d
            continue
        for root, _, files in os.walk(d):
            for f in sorted(files):
                yield os.path.join(root, f)


def read(path):
    pydicom = _pydicom()
    try:
        return pydicom.dcmread(path)
    except Exception:  # not DICOM (markers, json, logs)
        return None


def digest(ds):
    return hashlib.sha256(bytes(ds.PixelData)).hexdigest() if "PixelData" in ds else "-"


def cmd_retag(a):
    n = 0
    for p in walk([a.dir]):
        ds = read(p)
        if ds is None:
            continue
        for kv in a.kv:
            k, v = kv.split("=", 1)
            setattr(ds, k, v)
        ds.save_as(p, write_like_original=True)
        n += 1
    if n == 0:
        sys.exit("retag: no DICOM file in %s" % a.dir)
    print(n)


def collect(dirs):
    out = {}  # sop -> list of (series, digest, path)
    for p in walk(dirs):
        ds = read(p)
        if ds is None or "SOPInstanceUID" not in ds:
            continue
        out.setdefault(str(ds.SOPInstanceUID), []).append(
            (str(ds.get("SeriesInstanceUID", "")), digest(ds), p))
    return out


def cmd_check(a):
    want = collect(a.want)
    got = collect(a.got)
    missing = sorted(u for u in want if u not in got)
    extra = sorted(u for u in got if u not in want)
    dup = {u: len(v) for u, v in got.items() if len(v) > 1}
    changed = sorted(u for u in want if u in got and any(
        (s, d) != want[u][0][:2] for s, d, _ in got[u]))
    summary = {"want": len(want), "got_instances": len(got),
               "got_files": sum(len(v) for v in got.values()),
               "missing": len(missing), "extra": len(extra), "duplicated": len(dup),
               "changed": len(changed)}
    print(json.dumps(summary))
    errs = []
    if missing:
        errs.append("%d missing, e.g. %s" % (len(missing), missing[:3]))
    if extra:
        errs.append("%d unexpected, e.g. %s" % (len(extra), [got[u][0][2] for u in extra[:3]]))
    if changed:
        errs.append("%d with different PixelData/series, e.g. %s" % (len(changed), changed[:3]))
    if dup:
        msg = "%d instances received more than once, e.g. %s" % (
            len(dup), [(u, [p for _, _, p in got[u]]) for u in sorted(dup)[:2]])
        if a.dup_ok:
            print("note: " + msg, file=sys.stderr)
        else:
            errs.append(msg)
    if not want:
        errs.append("nothing expected (empty --want)")
    if errs:
        sys.exit("check: " + "; ".join(errs))


def cmd_sops(a):
    for u, v in sorted(collect(a.dirs).items()):
        for s, d, _ in v:
            print(u, d)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("retag")
    p.add_argument("dir")
    p.add_argument("kv", nargs="+")
    p = sub.add_parser("check")
    p.add_argument("--want", nargs="+", required=True)
    p.add_argument("--got", nargs="+", required=True)
    p.add_argument("--dup-ok", action="store_true")
    p = sub.add_parser("sops")
    p.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    {"retag": cmd_retag, "check": cmd_check, "sops": cmd_sops}[a.cmd](a)


if __name__ == "__main__":
    main()
