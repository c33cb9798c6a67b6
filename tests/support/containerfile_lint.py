#!/usr/bin/python3
"""containerfile_lint.py - the rules a Containerfile of ours must keep, checked by our own reader
(hadolint is not in Debian). Each rule names the hadolint rule it follows where there is one.

  containerfile_lint.py FILE...     findings as FILE:LINE: RULE: message; exit 1 if any
  containerfile_lint.py --self-test every rule reports its violation in a small bad file, and a
                                    file that keeps them all passes; exit 1 otherwise

Rules:
  from-arg        the first FROM names its image through an ARG declared before it, whose default
                  has an explicit tag or digest other than latest (DL3006, DL3007)
  user            the last stage sets USER, not root or 0, before its CMD/ENTRYPOINT (DL3002)
  apt-upgrade     no apt-get upgrade / dist-upgrade / full-upgrade (DL3005)
  apt-get         apt-get, not apt, in RUN (DL3027)
  apt-yes         apt-get install with -y (DL3014)
  apt-recommends  apt-get install with --no-install-recommends (DL3015)
  apt-pin         apt-get install names local .deb files or pinned name=version packages (DL3008)
  apt-lists       a RUN with apt-get update or install removes /var/lib/apt/lists/* itself (DL3009)
  apt-update      apt-get update only in the RUN that installs (a cached update goes stale)
  add             COPY, never ADD (DL3020)
  cd              no cd in RUN: WORKDIR (DL3003)
  sudo            no sudo (DL3004)
  pipefail        a RUN with a pipe sets -o pipefail (DL4006)
  workdir         WORKDIR is absolute (DL3000)
  exec-form       CMD and ENTRYPOINT in JSON form (DL3025)
  single          at most one CMD, ENTRYPOINT and HEALTHCHECK per stage (DL4003, DL4004, DL3012)
  healthcheck     the last stage has a HEALTHCHECK that is not NONE
  expose          EXPOSE ports are 1-65535 (DL3011)
  labels          org.opencontainers.image.title and .version labels
"""
import json
import re
import shlex
import sys

__all__ = ["parse", "lint"]


def parse(text):
    """[(line, INSTRUCTION, args)]: continuation lines joined, comment lines dropped"""
    out, cur, start = [], "", 0
    for n, raw in enumerate(text.split("\n"), 1):
        s = raw.strip()
        if s.startswith("#"):
            continue
        if not cur and not s:
            continue
        if not cur:
            start = n
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        word, _, rest = cur.strip().partition(" ")
        out.append((start, word.upper(), rest.strip()))
        cur = ""
    if cur:
        word, _, rest = cur.strip().partition(" ")
        out.append((start, word.upper(), rest.strip()))
    return out


def _commands(run):
    """the simple commands of a RUN's shell text, split at ; && || | and newlines"""
    return [c.strip() for c in re.split(r";|&&|\|\||\||\n", run) if c.strip()]


def _words(cmd):
    """a simple command's words, leading VAR=value assignments dropped"""
    try:
        w = shlex.split(cmd)
    except ValueError:
        w = cmd.split()
    while w and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", w[0]):
        w = w[1:]
    return w


def _run_text(args):
    """a RUN's shell text without its --mount/--network flags"""
    while args.startswith("--"):
        _, _, args = args.partition(" ")
        args = args.lstrip()
    return args


def _apt_install_args(words):
    if len(words) >= 2 and words[0] == "apt-get" and "install" in words[1:]:
        return words[words.index("install") + 1:]
    return None


def lint(text, name="Containerfile"):
    """findings as (line, rule, message)"""
    ins = parse(text)
    found = []

    def bad(line, rule, msg):
        found.append((line, rule, msg))

    args = {}
    froms = [i for i, x in enumerate(ins) if x[1] == "FROM"]
    if not froms:
        return [(1, "from-arg", "no FROM")]
    for line, op, a in ins[:froms[0]]:
        if op == "ARG":
            k, _, v = a.partition("=")
            args[k.strip()] = v.strip().strip('"')
    line, _, image = ins[froms[0]]
    image = image.split()[0]
    m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", image)
    if not m or m.group(1) not in args:
        bad(line, "from-arg", f"FROM {image}: name the base through an ARG declared before FROM")
    else:
        default = args[m.group(1)]
        tail = default.rsplit("/", 1)[-1]
        if "@" not in tail and (":" not in tail or tail.endswith(":latest")):
            bad(line, "from-arg", f"ARG {m.group(1)}={default}: the default needs an explicit tag, not latest")

    last = ins[froms[-1]:]
    user = None
    counts = {}
    for line, op, a in last:
        if op == "USER":
            user = (line, a.split(":")[0].strip())
        if op in ("CMD", "ENTRYPOINT") and (user is None or user[1] in ("root", "0")):
            bad(line, "user", f"{op} runs as root: set USER to the service user before it")
        if op in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            counts[op] = counts.get(op, 0) + 1
            if counts[op] == 2:
                bad(line, "single", f"more than one {op} in the stage: only the last counts")
    if user is None or user[1] in ("root", "0"):
        bad(user[0] if user else last[0][0], "user", "the image must end with a non-root USER")
    hc = [(line, a) for line, op, a in last if op == "HEALTHCHECK"]
    if not hc or hc[-1][1].upper().startswith("NONE"):
        bad(hc[-1][0] if hc else last[0][0], "healthcheck", "no HEALTHCHECK")

    labels = set()
    for line, op, a in ins:
        if op == "ADD":
            bad(line, "add", "ADD: use COPY (ADD fetches URLs and unpacks archives implicitly)")
        elif op == "WORKDIR" and not a.startswith(("/", "$")):
            bad(line, "workdir", f"WORKDIR {a}: use an absolute path")
        elif op in ("CMD", "ENTRYPOINT"):
            try:
                ok = isinstance(json.loads(a), list)
            except ValueError:
                ok = False
            if not ok:
                bad(line, "exec-form", f"{op} in shell form: write it as a JSON list (signals reach the program)")
        elif op == "EXPOSE":
            for p in a.split():
                num = p.split("/")[0]
                if not num.isdigit() or not 1 <= int(num) <= 65535:
                    bad(line, "expose", f"EXPOSE {p}: not a port")
        elif op == "LABEL":
            labels |= {w.partition("=")[0] for w in shlex.split(a)}
        elif op == "RUN":
            lint_run(line, _run_text(a), bad)
    for want in ("org.opencontainers.image.title", "org.opencontainers.image.version"):
        if want not in labels:
            bad(ins[froms[-1]][0], "labels", f"no {want} label")
    return sorted(found)


def lint_run(line, run, bad):
    cmds = [_words(c) for c in _commands(run)]
    update = any(w[:2] == ["apt-get", "update"] for w in cmds)
    installs = [x for x in (_apt_install_args(w) for w in cmds) if x is not None]
    for w in cmds:
        if w[:1] == ["apt"]:
            bad(line, "apt-get", "apt is for people: use apt-get in scripts")
        if w[:1] == ["apt-get"] and set(w[1:]) & {"upgrade", "dist-upgrade", "full-upgrade"}:
            bad(line, "apt-upgrade", "no upgrade inside the image: rebuild from a newer base")
        if w[:1] == ["cd"]:
            bad(line, "cd", "cd in RUN: use WORKDIR")
        if w[:1] == ["sudo"]:
            bad(line, "sudo", "sudo in RUN: the build runs as root until USER")
    for a in installs:
        if not {"-y", "--yes", "--assume-yes"} & set(a) and not any(re.fullmatch(r"-[a-z]*y[a-z]*", x) for x in a):
            bad(line, "apt-yes", "apt-get install without -y")
        if "--no-install-recommends" not in a:
            bad(line, "apt-recommends", "apt-get install without --no-install-recommends")
        for p in (x for x in a if not x.startswith("-")):
            if not (p.endswith(".deb") or "=" in p):
                bad(line, "apt-pin", f"apt-get install {p}: pin it (name=version) or install a local .deb")
    if update and not installs:
        bad(line, "apt-update", "apt-get update without an install in the same RUN")
    if (update or installs) and not re.search(r"rm\s+-(rf|fr)\s+/var/lib/apt/lists/\*", run):
        bad(line, "apt-lists", "remove /var/lib/apt/lists/* in the RUN that fills it")
    if re.search(r"(?<![|])\|(?![|])", run) and not re.search(r"set\s+-[a-z]*o\s+pipefail|pipefail", run):
        bad(line, "pipefail", "a pipe without set -o pipefail hides the failure of its first command")


# ---- self-test ----------------------------------------------------------------------------------

_GOOD = """\
ARG BASE=docker.io/library/debian:bookworm-slim
FROM ${BASE}
LABEL org.opencontainers.image.title="x" org.opencontainers.image.version="1"
RUN --mount=type=bind,target=/mnt/c \\
    set -eu; \\
    apt-get update; \\
    # a comment inside the instruction
    apt-get install -y --no-install-recommends /mnt/c/x.deb curl=7.88.1-10; \\
    rm -rf /var/lib/apt/lists/*
USER app
WORKDIR /var/lib/app
EXPOSE 11112
HEALTHCHECK CMD ["/usr/local/bin/check"]
CMD ["prog", "--flag"]
"""

# (rule, what to replace in _GOOD, with what)
_BAD = [
    ("from-arg", "FROM ${BASE}", "FROM debian:bookworm-slim"),
    ("from-arg", "debian:bookworm-slim\n", "debian\n"),
    ("from-arg", "debian:bookworm-slim\n", "debian:latest\n"),
    ("user", "USER app\n", ""),
    ("user", "USER app\n", "USER root\n"),
    ("user", "USER app\n", "USER 0:0\n"),
    ("apt-upgrade", "apt-get update; \\", "apt-get update; apt-get -y upgrade; \\"),
    ("apt-upgrade", "apt-get update; \\", "apt-get update && apt-get dist-upgrade -y; \\"),
    ("apt-get", "apt-get update; \\", "apt update; \\"),
    ("apt-yes", "install -y --no", "install --no"),
    ("apt-recommends", " --no-install-recommends", ""),
    ("apt-pin", "curl=7.88.1-10", "curl"),
    ("apt-lists", "    rm -rf /var/lib/apt/lists/*", "    true"),
    ("apt-update", "USER app\n", "RUN apt-get update && rm -rf /var/lib/apt/lists/*\nUSER app\n"),
    ("add", "USER app\n", "ADD https://example.org/x.tgz /opt/\nUSER app\n"),
    ("add", "USER app\n", "ADD x.tar /opt/\nUSER app\n"),
    ("cd", "set -eu; \\", "set -eu; cd /tmp; \\"),
    ("sudo", "set -eu; \\", "set -eu; sudo true; \\"),
    ("pipefail", "set -eu; \\", "set -eu; ls | wc -l; \\"),
    ("workdir", "WORKDIR /var/lib/app", "WORKDIR var/lib/app"),
    ("exec-form", 'CMD ["prog", "--flag"]', "CMD prog --flag"),
    ("exec-form", 'CMD ["prog", "--flag"]', 'ENTRYPOINT exec prog\nCMD ["prog"]'),
    ("single", 'CMD ["prog", "--flag"]', 'CMD ["a"]\nCMD ["prog", "--flag"]'),
    ("single", 'HEALTHCHECK CMD', 'HEALTHCHECK CMD ["true"]\nHEALTHCHECK CMD'),
    ("healthcheck", 'HEALTHCHECK CMD ["/usr/local/bin/check"]\n', ""),
    ("healthcheck", 'HEALTHCHECK CMD ["/usr/local/bin/check"]\n', "HEALTHCHECK NONE\n"),
    ("expose", "EXPOSE 11112", "EXPOSE 70000"),
    ("labels", ' org.opencontainers.image.version="1"', ""),
]


def self_test():
    errors = []
    got = lint(_GOOD, "good")
    if got:
        errors.append(f"the good file has findings: {got}")
    for rule, old, new in _BAD:
        if old not in _GOOD:
            errors.append(f"self-test case for {rule}: {old!r} is not in the good file")
            continue
        text = _GOOD.replace(old, new, 1)
        rules = {r for _, r, _ in lint(text, "bad")}
        if rule not in rules:
            errors.append(f"{rule}: not reported after {old.strip()!r} -> {new.strip()!r} (got {sorted(rules)})")
    for e in errors:
        print("FAIL " + e, file=sys.stderr)
    if not errors:
        print(f"ok: {len(_BAD)} violations each reported, the good file passes", file=sys.stderr)
    return 1 if errors else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    n = 0
    for path in argv[1:]:
        with open(path) as f:
            for line, rule, msg in lint(f.read(), path):
                print(f"{path}:{line}: {rule}: {msg}")
                n += 1
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
