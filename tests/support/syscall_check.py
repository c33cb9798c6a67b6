#!/usr/bin/env python3
"""syscall_check.py - do the system calls a traced service made fit its
systemd unit's sandbox? Reads `strace -f -ff -o PREFIX` files of a program
started through chroot/sh/setpriv (the part before the program's own
execve is not the service's and is skipped) and checks:

  - every system call is in the unit's SystemCallFilter= (the allow list
    minus the ~ sets, each @group expanded with `systemd-analyze
    syscall-filter`, so that the sets are those of the installed systemd)
  - every socket() is of a family in RestrictAddressFamilies=
  - with --proc-subset-pid: nothing outside /proc/<pid>/ is opened under
    /proc (ProcSubset=pid)

Usage: syscall_check.py --unit FILE --exe /usr/bin/PROG [--proc-subset-pid]
                        [--analyze CMD] TRACE_FILE...
Prints one line per finding and exits 1 when there is one; otherwise prints
"ok: N distinct system calls in M processes".
"""
import argparse
import re
import shlex
import subprocess
import sys

CALL = re.compile(r"^(?:\d+ +)?([a-z0-9_]+)\(")
SOCKET = re.compile(r"^socket\((AF_[A-Z0-9]+)")
OPEN = re.compile(r'^(?:open|openat|openat2|stat|newfstatat|statx|access|faccessat2?|readlink|readlinkat)\((?:AT_FDCWD, |-?\d+, )?"(/proc/[^"]*)"')
PROC_OK = re.compile(r"^/proc/(self|thread-self|\d+)(/|$)")


def unit_values(path, key):
    """every value of KEY= in the [Service] section, in order"""
    out = []
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and line.startswith(key + "="):
                out.append(line[len(key) + 1:])
    return out


def expand(name, analyze, seen):
    if name in seen:
        return seen[name]
    r = subprocess.run(analyze + ["syscall-filter", name], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("systemd-analyze syscall-filter %s failed: %s" % (name, r.stderr.strip()))
    calls = set()
    for line in r.stdout.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            calls |= expand(line, analyze, seen)
        else:
            calls.add(line)
    seen[name] = calls
    return calls


def allowed_calls(unit, analyze):
    """the allow list of SystemCallFilter= lines as systemd combines them:
    the first line decides allow or deny list; later ~ lines remove"""
    seen = {}
    allow = None
    for value in unit_values(unit, "SystemCallFilter"):
        deny = value.startswith("~")
        names = (value[1:] if deny else value).split()
        calls = set()
        for n in names:
            calls |= expand(n, analyze, seen) if n.startswith("@") else {n}
        if allow is None:
            if deny:
                sys.exit("%s: a deny list first is not handled here" % unit)
            allow = calls | expand("@default", analyze, seen)
        elif deny:
            allow -= calls
        else:
            allow |= calls
    if allow is None:
        sys.exit("%s: no SystemCallFilter=" % unit)
    return allow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unit", required=True)
    ap.add_argument("--exe", required=True, action="append")
    ap.add_argument("--proc-subset-pid", action="store_true")
    ap.add_argument("--analyze", default="systemd-analyze")
    ap.add_argument("traces", nargs="+")
    a = ap.parse_args()
    analyze = shlex.split(a.analyze)
    allow = allowed_calls(a.unit, analyze)
    families = set()
    for v in unit_values(a.unit, "RestrictAddressFamilies"):
        families |= set(v.split())
    findings = []
    used = set()
    procs = 0
    for path in a.traces:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
        # the process that ran chroot, sh and setpriv: its part from the
        # program's execve on
        starts = [i for i, l in enumerate(lines)
                  if any(l.startswith('execve("%s"' % e) for e in a.exe) and l.endswith("= 0")]
        if lines and lines[0].startswith("execve(") and starts:
            lines = lines[starts[-1] + 1:]
        elif lines and lines[0].startswith("execve(") and not any(
                lines[0].startswith('execve("%s"' % e) for e in a.exe):
            continue  # a helper that never became the program
        procs += 1
        for l in lines:
            m = CALL.match(l)
            if not m:
                continue
            name = m.group(1)
            used.add(name)
            if name not in allow:
                findings.append("%s: %s not in SystemCallFilter= (%s)" % (path, name, l[:120]))
            s = SOCKET.match(l)
            if s and families and s.group(1) not in families:
                findings.append("%s: socket family %s not in RestrictAddressFamilies= (%s)"
                                % (path, s.group(1), l[:120]))
            o = OPEN.match(l)
            if a.proc_subset_pid and o and not PROC_OK.match(o.group(1)):
                findings.append("%s: %s is hidden by ProcSubset=pid (%s)" % (path, o.group(1), l[:120]))
    seen_findings = set()
    for f in findings:
        key = f.split(" (")[0].split(": ", 1)[1]
        if key in seen_findings:
            continue
        seen_findings.add(key)
        print(f)
    if findings:
        return 1
    if procs == 0:
        print("no trace of %s among %d files" % (" ".join(a.exe), len(a.traces)))
        return 1
    print("ok: %d distinct system calls in %d processes and threads" % (len(used), procs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
