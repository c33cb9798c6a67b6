"""nomad_hcl.py - the HCL2 subset our job files use, turned into Nomad API JSON.

The stand-in (nomad_standin.py) serves it as PUT /v1/jobs/parse, and the tests use it to hold
nomad/*.nomad.hcl to what the coordinator registers. It is not jobspec2: it knows the blocks and
attributes of Nomad's job specification that docs/nomad.md uses and refuses anything else
("Unsupported argument" / "Unsupported block type", as HCL's strict decoding does), evaluates
`var.*` (defaults, overridden by -var style values), `==`, `!=` and `c ? a : b`, expands `dynamic`
blocks (for_each and content; no iterator symbol), and leaves ${NOMAD_*}, ${attr.*}, ${meta.*},
${node.*} and ${env.*} literal for the client, converts durations to nanoseconds, and maps HCL
names to the API's field names.
"""

import re

__all__ = ["HclError", "parse", "job_to_api", "parse_job", "duration_ns"]


class HclError(Exception):
    pass


# ---- lexer -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<heredoc><<-?(?P<tag>[A-Za-z_][A-Za-z0-9_]*)\n)
  | (?P<string>"(?:[^"\\\n]|\\.|\$\{[^}]*\})*")
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<punct>==|!=|[{}\[\]()=,.:?])
""", re.S | re.X)


def _lex(text, name):
    toks, pos, line = [], 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise HclError(f"{name}:{line}: invalid character {text[pos]!r}")
        kind = m.lastgroup if m.lastgroup != "tag" else "heredoc"
        if m.group("heredoc"):
            tag = m.group("tag")
            end = re.compile(r"^[ \t]*" + re.escape(tag) + r"[ \t]*$", re.M)
            e = end.search(text, m.end())
            if not e:
                raise HclError(f"{name}:{line}: unterminated heredoc {tag}")
            body = text[m.end():e.start()]
            if m.group(0).startswith("<<-"):
                lines = body.split("\n")
                ind = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
                body = "\n".join(x[ind:] for x in lines)
            toks.append(("heredoc", body, line))
            line += text.count("\n", m.start(), e.end())
            pos = e.end()
            continue
        val = m.group(0)
        if kind == "nl":
            toks.append(("nl", val, line))
            line += 1
        elif kind == "comment":
            line += val.count("\n")
            if val.startswith("#") or val.startswith("//"):
                pass
        elif kind != "ws":
            toks.append((kind, val, line))
        pos = m.end()
    toks.append(("eof", "", line))
    return toks


# ---- parser: body = list of ("attr", name, expr, line) | ("block", type, labels, body, line) ----

class _Parser:
    def __init__(self, toks, name):
        self.t, self.i, self.name = toks, 0, name

    def peek(self, skip_nl=True):
        i = self.i
        while skip_nl and self.t[i][0] == "nl":
            i += 1
        return self.t[i]

    def next(self, skip_nl=True):
        while skip_nl and self.t[self.i][0] == "nl":
            self.i += 1
        tok = self.t[self.i]
        self.i += 1
        return tok

    def err(self, tok, msg):
        raise HclError(f"{self.name}:{tok[2]}: {msg}")

    def expect(self, kind, val=None):
        tok = self.next()
        if tok[0] != kind or (val is not None and tok[1] != val):
            self.err(tok, f"expected {val or kind}, got {tok[1]!r}")
        return tok

    def body(self, closing):
        items = []
        while True:
            tok = self.next()
            if tok[0] == closing[0] and (closing[0] == "eof" or tok[1] == closing[1]):
                return items
            if tok[0] != "ident":
                self.err(tok, f"expected an argument or block, got {tok[1]!r}")
            nxt = self.peek(skip_nl=False)
            if nxt[0] == "punct" and nxt[1] == "=":
                self.next()
                items.append(("attr", tok[1], self.expr(), tok[2]))
                end = self.peek(skip_nl=False)
                if end[0] not in ("nl", "eof") and not (end[0] == "punct" and end[1] == "}"):
                    self.err(end, "expected a newline after the argument")
                continue
            labels = []
            while self.peek()[0] in ("string", "ident"):
                labels.append(self._unquote(self.next())[0] if self.peek()[0] == "string" else self.next()[1])
            self.expect("punct", "{")
            items.append(("block", tok[1], labels, self.body(("punct", "}")), tok[2]))

    def _unquote(self, tok):
        s = tok[1][1:-1]
        out, i = [], 0
        while i < len(s):
            c = s[i]
            if c == "\\" and i + 1 < len(s):
                n = s[i + 1]
                out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}.get(n, n))
                i += 2
                continue
            out.append(c)
            i += 1
        return "".join(out), tok[2]

    def expr(self):
        """primary [(== | !=) primary] [? expr : expr]"""
        left = self.primary()
        nxt = self.peek(skip_nl=False)
        if nxt[0] == "punct" and nxt[1] in ("==", "!="):
            self.next()
            left = ("binop", nxt[1], left, self.primary(), nxt[2])
            nxt = self.peek(skip_nl=False)
        if nxt[0] == "punct" and nxt[1] == "?":
            self.next()
            yes = self.expr()
            self.expect("punct", ":")
            return ("cond", left, yes, self.expr(), nxt[2])
        return left

    def primary(self):
        tok = self.next()
        k, v = tok[0], tok[1]
        if k == "string":
            return ("template", self._unquote(tok)[0], tok[2])
        if k == "heredoc":
            return ("template", v, tok[2])
        if k == "number":
            return ("lit", float(v) if "." in v else int(v))
        if k == "ident":
            if v in ("true", "false"):
                return ("lit", v == "true")
            if v == "null":
                return ("lit", None)
            if self.peek(skip_nl=False)[1] == "(":
                self.next()
                args = []
                while self.peek()[1] != ")":
                    args.append(self.expr())
                    if self.peek()[1] == ",":
                        self.next()
                self.expect("punct", ")")
                return ("call", v, args, tok[2])
            path = [v]
            while self.peek(skip_nl=False)[1] == ".":
                self.next()
                path.append(self.expect("ident")[1])
            return ("ref", path, tok[2])
        if k == "punct" and v == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.next()
            self.next()
            return ("list", items)
        if k == "punct" and v == "{":
            items = []
            while self.peek()[1] != "}":
                kt = self.next()
                key = self._unquote(kt)[0] if kt[0] == "string" else kt[1]
                sep = self.next()
                if sep[1] not in ("=", ":"):
                    self.err(sep, "expected = in an object")
                items.append((key, self.expr()))
                if self.peek()[1] == ",":
                    self.next()
            self.next()
            return ("object", items)
        self.err(tok, f"unexpected {v!r}")


def parse(text, name="job.hcl"):
    return _Parser(_lex(text, name), name).body(("eof", ""))


# ---- evaluation --------------------------------------------------------------------------------

_CLIENT_ROOTS = ("NOMAD_", "attr.", "meta.", "node.", "env.", "var.")


def _eval(e, variables, name):
    kind = e[0]
    if kind == "lit":
        return e[1]
    if kind == "list":
        return [_eval(x, variables, name) for x in e[1]]
    if kind == "object":
        return {k: _eval(v, variables, name) for k, v in e[1]}
    if kind == "ref":
        path, line = e[1], e[2]
        if path[0] == "var" and len(path) == 2:
            if path[1] not in variables:
                raise HclError(f"{name}:{line}: Unknown variable: There is no variable named {path[1]!r}")
            return variables[path[1]]
        raise HclError(f"{name}:{line}: Unsupported reference {'.'.join(path)}")
    if kind == "call":
        raise HclError(f"{name}:{e[3]}: function {e[1]}() is not supported here")
    if kind == "binop":
        left, right = _eval(e[2], variables, name), _eval(e[3], variables, name)
        return left == right if e[1] == "==" else left != right
    if kind == "cond":
        c = _eval(e[1], variables, name)
        if not isinstance(c, bool):
            raise HclError(f"{name}:{e[4]}: Incorrect condition type: a bool is required")
        return _eval(e[2] if c else e[3], variables, name)
    if kind == "template":
        text, line = e[1], e[2]

        def sub(m):
            inner = m.group(1).strip()
            if inner.startswith("var."):
                v = variables.get(inner[4:])
                if v is None:
                    raise HclError(f"{name}:{line}: Unknown variable {inner}")
                return str(v)
            if inner.startswith(_CLIENT_ROOTS):
                return m.group(0)  # left for the client
            raise HclError(f"{name}:{line}: Unknown variable ${{{inner}}}")
        if text.startswith("${") and text.endswith("}") and text.count("${") == 1 \
                and text[2:-1].strip().startswith("var."):
            return _eval(("ref", text[2:-1].strip().split("."), line), variables, name)
        return re.sub(r"(?<!\$)\$\{([^}]*)\}", sub, text).replace("$${", "${").replace("%%{", "%{")
    raise HclError(f"{name}: cannot evaluate {kind}")


# ---- the job schema: HCL name -> (API name, converter) -------------------------------------------

_NS = 1_000_000_000


def duration_ns(s):
    """A Go duration string ("1h30m", "500ms", "15s") in nanoseconds."""
    if isinstance(s, int):
        return s
    units = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": _NS, "m": 60 * _NS,
             "h": 3600 * _NS}
    total, pos = 0, 0
    for m in re.finditer(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", s):
        if m.start() != pos:
            break
        total += int(float(m.group(1)) * units[m.group(2)])
        pos = m.end()
    if pos != len(s) or not s:
        raise HclError(f"invalid duration {s!r}")
    return total


def _str(v):
    return v


def _int(v):
    return int(v)


def _bool(v):
    return bool(v)


def _dur(v):
    return duration_ns(v)


def _strlist(v):
    return [str(x) for x in v]


def _map(v):
    return {str(k): v2 for k, v2 in v.items()}


# each block: attributes {hcl: (api, conv)}, blocks {hcl: (api, spec, how)}, how = "single" |
# "list" | "labelled-list" (label -> Name) | "labelled-map" (label -> key, also Name) | "map"
# (a block whose attributes are a free map)
_CONSTRAINT = {"attrs": {"attribute": ("LTarget", _str), "operator": ("Operand", _str),
                         "value": ("RTarget", _str), "distinct_hosts": ("distinct_hosts", _bool),
                         "regexp": ("regexp", _str), "set_contains": ("set_contains", _str),
                         "version": ("version", _str), "semver": ("semver", _str)},
               "defaults": {"Operand": "="}}
_CHECK = {"attrs": {"type": ("Type", _str), "interval": ("Interval", _dur),
                    "timeout": ("Timeout", _dur), "name": ("Name", _str), "path": ("Path", _str),
                    "port": ("PortLabel", _str)}}
_SERVICE = {"attrs": {"name": ("Name", _str), "port": ("PortLabel", _str),
                      "provider": ("Provider", _str), "tags": ("Tags", _strlist),
                      "address_mode": ("AddressMode", _str)},
            "blocks": {"check": ("Checks", _CHECK, "list")}}
_PORT = {"attrs": {"static": ("Value", _int), "to": ("To", _int), "host_network": ("HostNetwork", _str)}}
_NETWORK = {"attrs": {"mode": ("Mode", _str)},
            "blocks": {"port": ("Ports", _PORT, "ports")}}
_DEVICE = {"attrs": {"count": ("Count", _int)}}
_RESOURCES = {"attrs": {"cpu": ("CPU", _int), "cores": ("Cores", _int), "memory": ("MemoryMB", _int),
                        "memory_max": ("MemoryMaxMB", _int)},
              "blocks": {"device": ("Devices", _DEVICE, "labelled-list")}}
_TEMPLATE = {"attrs": {"data": ("EmbeddedTmpl", _str), "destination": ("DestPath", _str),
                       "change_mode": ("ChangeMode", _str), "perms": ("Perms", _str),
                       "env": ("Envvars", _bool)}}
_VOLUME_MOUNT = {"attrs": {"volume": ("Volume", _str), "destination": ("Destination", _str),
                           "read_only": ("ReadOnly", _bool)}}
_LOGS = {"attrs": {"max_files": ("MaxFiles", _int), "max_file_size": ("MaxFileSizeMB", _int),
                   "disabled": ("Disabled", _bool)}}
_TASK = {"attrs": {"driver": ("Driver", _str), "user": ("User", _str),
                   "kill_timeout": ("KillTimeout", _dur), "kill_signal": ("KillSignal", _str),
                   "leader": ("Leader", _bool)},
         "blocks": {"config": ("Config", None, "map"), "env": ("Env", None, "map"),
                    "meta": ("Meta", None, "map"), "resources": ("Resources", _RESOURCES, "single"),
                    "volume_mount": ("VolumeMounts", _VOLUME_MOUNT, "list"),
                    "template": ("Templates", _TEMPLATE, "list"),
                    "constraint": ("Constraints", _CONSTRAINT, "list"),
                    "service": ("Services", _SERVICE, "list"), "logs": ("LogConfig", _LOGS, "single"),
                    "dispatch_payload": ("DispatchPayload", {"attrs": {"file": ("File", _str)}}, "single")},
         "map_attrs": {"env": "Env", "meta": "Meta"}}
_RESTART = {"attrs": {"attempts": ("Attempts", _int), "interval": ("Interval", _dur),
                      "delay": ("Delay", _dur), "mode": ("Mode", _str)}}
_RESCHEDULE = {"attrs": {"attempts": ("Attempts", _int), "interval": ("Interval", _dur),
                         "delay": ("Delay", _dur), "delay_function": ("DelayFunction", _str),
                         "max_delay": ("MaxDelay", _dur), "unlimited": ("Unlimited", _bool)}}
_DISCONNECT = {"attrs": {"lost_after": ("LostAfter", _dur), "replace": ("Replace", _bool),
                         "reconcile": ("Reconcile", _str),
                         "stop_on_client_after": ("StopOnClientAfter", _dur)}}
_VOLUME = {"attrs": {"type": ("Type", _str), "source": ("Source", _str), "read_only": ("ReadOnly", _bool)}}
_EPHEMERAL = {"attrs": {"size": ("SizeMB", _int), "sticky": ("Sticky", _bool), "migrate": ("Migrate", _bool)}}
_UPDATE = {"attrs": {"max_parallel": ("MaxParallel", _int), "min_healthy_time": ("MinHealthyTime", _dur),
                     "healthy_deadline": ("HealthyDeadline", _dur), "auto_revert": ("AutoRevert", _bool)}}
_GROUP = {"attrs": {"count": ("Count", _int), "max_run_duration": ("MaxRunDuration", _dur),
                    "shutdown_delay": ("ShutdownDelay", _dur)},
          "blocks": {"task": ("Tasks", _TASK, "labelled-list"),
                     "constraint": ("Constraints", _CONSTRAINT, "list"),
                     "restart": ("RestartPolicy", _RESTART, "single"),
                     "reschedule": ("ReschedulePolicy", _RESCHEDULE, "single"),
                     "disconnect": ("Disconnect", _DISCONNECT, "single"),
                     "volume": ("Volumes", _VOLUME, "labelled-map"),
                     "network": ("Networks", _NETWORK, "list"),
                     "service": ("Services", _SERVICE, "list"),
                     "ephemeral_disk": ("EphemeralDisk", _EPHEMERAL, "single"),
                     "update": ("Update", _UPDATE, "single"),
                     "meta": ("Meta", None, "map")},
          "map_attrs": {"meta": "Meta"}}
_PARAM = {"attrs": {"payload": ("Payload", _str), "meta_required": ("MetaRequired", _strlist),
                    "meta_optional": ("MetaOptional", _strlist)}}
_JOB = {"attrs": {"type": ("Type", _str), "namespace": ("Namespace", _str), "region": ("Region", _str),
                  "datacenters": ("Datacenters", _strlist), "priority": ("Priority", _int),
                  "node_pool": ("NodePool", _str), "name": ("Name", _str)},
        "blocks": {"group": ("TaskGroups", _GROUP, "labelled-list"),
                   "constraint": ("Constraints", _CONSTRAINT, "list"),
                   "parameterized": ("ParameterizedJob", _PARAM, "single"),
                   "meta": ("Meta", None, "map"), "update": ("Update", _UPDATE, "single"),
                   "reschedule": ("Reschedule", _RESCHEDULE, "single")},
        "map_attrs": {"meta": "Meta"}}

# constraint shorthands (reference 5.1): attribute-named operands
_SHORTHAND_OPS = ("distinct_hosts", "regexp", "set_contains", "version", "semver")


def _expand_dynamic(body, variables, name):
    """dynamic "TYPE" { for_each = LIST  content { ... } } -> one TYPE block per element (the
    content may not refer to the iterator: this subset has no iterator symbol)"""
    out = []
    for item in body:
        if item[0] != "block" or item[1] != "dynamic":
            out.append(item)
            continue
        _, _, labels, sub, line = item
        if len(labels) != 1:
            raise HclError(f"{name}:{line}: a dynamic block has one label, the block type")
        each = content = None
        for s in sub:
            if s[0] == "attr" and s[1] == "for_each":
                each = _eval(s[2], variables, name)
            elif s[0] == "block" and s[1] == "content" and not s[2] and content is None:
                content = s[3]
            else:
                raise HclError(f"{name}:{s[-1]}: unsupported in a dynamic block: {s[1]}")
        if not isinstance(each, (list, dict)) or content is None:
            raise HclError(f"{name}:{line}: a dynamic block needs for_each (a list or map) and one content block")
        out += [("block", labels[0], [], content, line)] * len(each)
    return out


def _convert(body, spec, variables, name):
    out = {}
    for item in _expand_dynamic(body, variables, name):
        if item[0] == "attr":
            _, key, expr, line = item
            if key in spec.get("map_attrs", {}):
                out[spec["map_attrs"][key]] = {str(k): str(v) for k, v in
                                               _eval(expr, variables, name).items()}
                continue
            if key not in spec.get("attrs", {}):
                raise HclError(f'{name}:{line}: Unsupported argument; An argument named "{key}" is not expected here.')
            api, conv = spec["attrs"][key]
            try:
                out[api] = conv(_eval(expr, variables, name))
            except (TypeError, ValueError) as e:
                raise HclError(f"{name}:{line}: {key}: {e}") from None
            continue
        _, btype, labels, sub, line = item
        if btype not in spec.get("blocks", {}):
            raise HclError(f'{name}:{line}: Unsupported block type; Blocks of type "{btype}" are not expected here.')
        api, subspec, how = spec["blocks"][btype]
        if how == "map":
            m = {}
            for s in sub:
                if s[0] != "attr":
                    raise HclError(f"{name}:{s[4]}: a block inside {btype} is not supported")
                m[s[1]] = _eval(s[2], variables, name)
            if btype in ("env", "meta"):
                m = {k: str(v) for k, v in m.items()}
            out[api] = m
            continue
        val = _convert(sub, subspec, variables, name)
        for k, v in subspec.get("defaults", {}).items():
            val.setdefault(k, v)
        if how == "single":
            out[api] = val
        elif how == "list":
            out.setdefault(api, []).append(val)
        elif how == "labelled-list":
            if len(labels) != 1:
                raise HclError(f'{name}:{line}: Missing name for {btype}; All {btype} blocks must have 1 label')
            out.setdefault(api, []).append(dict({"Name": labels[0]}, **val))
        elif how == "labelled-map":
            out.setdefault(api, {})[labels[0]] = dict({"Name": labels[0]}, **val)
        elif how == "ports":
            port = dict({"Label": labels[0]}, **val)
            key = "ReservedPorts" if "Value" in port else "DynamicPorts"
            out.setdefault(key, []).append(port)
    if spec is _CONSTRAINT:
        for op in _SHORTHAND_OPS:
            if op in out:
                v = out.pop(op)
                out["Operand"] = op
                if op != "distinct_hosts":
                    out["RTarget"] = v
    if spec is _NETWORK and "Ports" in out:
        out.pop("Ports")
    return out


def job_to_api(tree, variables=None, name="job.hcl"):
    """The Job (api.Job JSON, not canonicalized) of a parsed file."""
    variables = dict(variables or {})
    defaults, jobs = {}, []
    for item in tree:
        if item[0] == "block" and item[1] == "variable":
            vname = item[2][0]
            for s in item[3]:
                if s[0] == "attr" and s[1] == "default":
                    defaults[vname] = _eval(s[2], {}, name)
                elif s[0] == "attr" and s[1] in ("type", "description"):
                    pass
                else:
                    raise HclError(f"{name}:{s[-1]}: unsupported in a variable block: {s[1]}")
        elif item[0] == "block" and item[1] == "job":
            jobs.append(item)
        elif item[0] == "block" and item[1] == "locals":
            raise HclError(f"{name}:{item[4]}: locals are not supported by this subset")
        else:
            raise HclError(f"{name}:{item[-1]}: Unsupported {item[0]} {item[1]!r} at the top level")
    for k, v in defaults.items():
        variables.setdefault(k, v)
    if len(jobs) != 1:
        raise HclError(f"{name}: expected exactly one job block, found {len(jobs)}")
    _, _, labels, body, _ = jobs[0]
    job = {"ID": labels[0], "Name": labels[0]}
    job.update(_convert(body, _JOB, variables, name))
    return job


def parse_vars(text, name="variables"):
    """-var-file style text: name = value lines."""
    out = {}
    for item in parse(text, name):
        if item[0] != "attr":
            raise HclError(f"{name}:{item[-1]}: only name = value lines")
        out[item[1]] = _eval(item[2], {}, name)
    return out


def parse_job(text, variables=None, name="job.hcl"):
    return job_to_api(parse(text, name), variables, name)


if __name__ == "__main__":
    import json
    import sys
    args = sys.argv[1:]
    vs = {}
    while args and args[0] == "-var":
        k, _, v = args[1].partition("=")
        vs[k] = json.loads(v) if v[:1] in "[{" else v
        args = args[2:]
    with open(args[0]) as f:
        print(json.dumps({"Job": parse_job(f.read(), vs, args[0])}, indent=2))
