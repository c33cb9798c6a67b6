#!/usr/bin/python3
"""nomad_standin.py - a stand-in for Nomad's HTTP API, for the tests (Nomad cannot be installed here).

It follows Nomad's HTTP API documentation to the letter where the coordinator depends on it:
- the routes the coordinator uses and a few more (jobs, dispatch, allocations, evaluations, summary,
  stop, leader, logs, validate, parse, variables and their locks with Nomad's timers: 2 x TTL after the
  last renew, then LockDelay), with Nomad's status codes and plain-text errors (validation
  and dispatch failures are 500, multierror text);
- one global index; every write bumps it; reads answer with X-Nomad-Index and block on ?index=&wait=;
- strict bodies: an unknown JSON field is refused with 400 (Nomad would drop it silently, hiding a
  typo), and so is a field only the server may set;
- ACL tokens (403 "Permission denied" / "ACL token not found"), namespaces, ?region=;
- dispatch with Nomad's check order and idempotency tokens;
- a scheduler (first feasible node: datacenter, constraints, drivers, host volumes, cpu/memory;
  blocked evals when nothing fits) and a fake client that really runs raw_exec/exec commands with
  the environment Nomad gives (NOMAD_META_*, NOMAD_ALLOC_ID, ...), and mock_driver knobs otherwise;
- nvidia/gpu devices on the nodes (--node-gpus) as the scheduler's device checks see them, and a
  docker shim (--docker-shim IMAGE=COMMAND) that runs a docker task's image as a command;
- failure injection on a separate control port (or from the command line): a failed alloc, a held
  alloc, a lost node, any status for matching requests (by method, path, query and token; 500 "No
  cluster leader"), a slow answer, a
  dropped connection, an outage (connections refused), garbage collection.

Control API (JSON, control port): GET /state, GET /requests, POST /fault, /clear_faults,
/fail_allocs, /hold, /release, /node_down, /node_up, /outage, /gc. See usage().
GET /counters counts the API requests by endpoint (IDs replaced by :id). POST /drop_streams ends
every open event stream; POST /streams {"enabled": false} answers new ones with 404.
Simplifications (documented in docs/nomad.md): the event stream carries the Allocation topic only
(its frames are built from the allocations' ModifyIndex, so a resume sends each changed alloc's
latest state once), processes die with their node,
a disconnected alloc stays unknown until lost_after even if its node returns, no real mounts (an
exec task's volume_mount must name the host volume's own path).
"""

import argparse
import base64
import fnmatch
import json
import os
import random
import re
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nomad_hcl  # noqa: E402

NS = 1_000_000_000
ZERO_TIME = "0001-01-01T00:00:00Z"
MAX_WAIT_S = 300
PAYLOAD_MAX = 16384


class ApiError(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status, self.text = status, text


def multierror(*msgs):
    n = len(msgs)
    head = "1 error occurred:" if n == 1 else f"{n} errors occurred:"
    return head + "\n" + "".join(f"\t* {m}\n" for m in msgs) + "\n"


def now_ns():
    return time.time_ns()


def rfc3339(ns=None):
    t = time.time() if ns is None else ns / NS
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % int((t % 1) * NS)


# ---- strict decoding (api/*.go field names; case-insensitive as Go's encoding/json) ------------

S_, I_, D_, B_, F_, ANY = "string", "int", "duration", "bool", "float", "any"
LS, MS = ("list", S_), ("map", S_)


def obj(name):
    return ("obj", name)


def lst(name):
    return ("list", ("obj", name))


STRUCTS = {
    "RegisterRequest": {"Job": obj("Job"), "EnforceIndex": B_, "JobModifyIndex": I_,
                        "PolicyOverride": B_, "PreserveCounts": B_, "EvalPriority": I_,
                        "Submission": ANY},
    "Job": {"Region": S_, "Namespace": S_, "ID": S_, "Name": S_, "Type": S_, "Priority": I_,
            "AllAtOnce": B_, "Datacenters": LS, "NodePool": S_, "Constraints": lst("Constraint"),
            "Affinities": ANY, "TaskGroups": lst("TaskGroup"), "Update": ANY, "Multiregion": ANY,
            "Spreads": ANY, "Periodic": ANY, "ParameterizedJob": obj("Parameterized"),
            "Reschedule": obj("Reschedule"), "Migrate": ANY, "Meta": MS, "ConsulToken": S_,
            "VaultToken": S_, "ConsulNamespace": S_, "VaultNamespace": S_, "UI": ANY},
    "TaskGroup": {"Name": S_, "Count": I_, "Constraints": lst("Constraint"), "Affinities": ANY,
                  "Tasks": lst("Task"), "Spreads": ANY, "Volumes": ("map", obj("Volume")),
                  "RestartPolicy": obj("Restart"), "Disconnect": obj("Disconnect"),
                  "ReschedulePolicy": obj("Reschedule"), "EphemeralDisk": obj("EphemeralDisk"),
                  "Update": ANY, "Migrate": ANY, "Networks": lst("Network"), "Meta": MS,
                  "Services": lst("Service"), "ShutdownDelay": D_, "MaxRunDuration": D_,
                  "Scaling": ANY, "Consul": ANY, "PreventRescheduleOnLost": B_},
    "Task": {"Name": S_, "Driver": S_, "User": S_, "Lifecycle": ANY, "Config": ("map", ANY),
             "Constraints": lst("Constraint"), "Affinities": ANY, "Env": MS,
             "Services": lst("Service"), "Resources": obj("Resources"),
             "RestartPolicy": obj("Restart"), "Meta": MS, "KillTimeout": D_,
             "LogConfig": obj("LogConfig"), "Artifacts": ANY, "Vault": ANY, "Consul": ANY,
             "Templates": lst("Template"), "DispatchPayload": obj("DispatchPayload"),
             "VolumeMounts": lst("VolumeMount"), "Leader": B_, "ShutdownDelay": D_,
             "KillSignal": S_, "Kind": S_, "Identity": ANY, "Identities": ANY, "Actions": ANY,
             "Schedule": ANY, "Secrets": ANY},
    "Resources": {"CPU": I_, "Cores": I_, "MemoryMB": I_, "MemoryMaxMB": I_, "DiskMB": I_,
                  "Networks": lst("Network"), "Devices": lst("Device"), "NUMA": ANY,
                  "SecretsMB": I_},
    "Device": {"Name": S_, "Count": I_, "Constraints": lst("Constraint"), "Affinities": ANY},
    "Constraint": {"LTarget": S_, "RTarget": S_, "Operand": S_},
    "Restart": {"Interval": D_, "Attempts": I_, "Delay": D_, "Mode": S_, "RenderTemplates": B_},
    "Reschedule": {"Attempts": I_, "Interval": D_, "Delay": D_, "DelayFunction": S_,
                   "MaxDelay": D_, "Unlimited": B_},
    "Disconnect": {"LostAfter": D_, "Replace": B_, "Reconcile": S_, "StopOnClientAfter": D_},
    "Volume": {"Name": S_, "Type": S_, "Source": S_, "ReadOnly": B_, "AccessMode": S_,
               "AttachmentMode": S_, "MountOptions": ANY, "PerAlloc": B_, "Sticky": B_},
    "VolumeMount": {"Volume": S_, "Destination": S_, "ReadOnly": B_, "PropagationMode": S_,
                    "SELinuxLabel": S_},
    "Parameterized": {"Payload": S_, "MetaRequired": LS, "MetaOptional": LS},
    "DispatchPayload": {"File": S_},
    "LogConfig": {"MaxFiles": I_, "MaxFileSizeMB": I_, "Disabled": B_},
    "EphemeralDisk": {"Sticky": B_, "Migrate": B_, "SizeMB": I_},
    "Network": {"Mode": S_, "Device": S_, "CIDR": S_, "IP": S_, "DNS": ANY,
                "ReservedPorts": lst("Port"), "DynamicPorts": lst("Port"), "Hostname": S_,
                "MBits": I_},
    "Port": {"Label": S_, "Value": I_, "To": I_, "HostNetwork": S_},
    "Service": {"Name": S_, "Tags": LS, "CanaryTags": LS, "PortLabel": S_, "AddressMode": S_,
                "Address": S_, "Checks": lst("Check"), "Provider": S_, "Meta": MS, "TaskName": S_,
                "OnUpdate": S_, "Connect": ANY, "CheckRestart": ANY, "EnableTagOverride": B_},
    "Check": {"Name": S_, "Type": S_, "Command": S_, "Args": LS, "Path": S_, "Protocol": S_,
              "PortLabel": S_, "AddressMode": S_, "Interval": D_, "Timeout": D_,
              "InitialStatus": S_, "Method": S_, "Header": ANY, "Body": S_, "TaskName": S_,
              "SuccessBeforePassing": I_, "FailuresBeforeCritical": I_, "OnUpdate": S_,
              "CheckRestart": ANY, "TLSSkipVerify": B_},
    "Template": {"SourcePath": S_, "DestPath": S_, "EmbeddedTmpl": S_, "ChangeMode": S_,
                 "ChangeSignal": S_, "Splay": D_, "Perms": S_, "Uid": I_, "Gid": I_,
                 "LeftDelim": S_, "RightDelim": S_, "Envvars": B_, "ErrMissingKey": B_,
                 "Wait": ANY, "ChangeScript": ANY},
    "DispatchRequest": {"JobID": S_, "Payload": S_, "Meta": MS, "IdPrefixTemplate": S_,
                        "Priority": I_},
    "ValidateRequest": {"Job": obj("Job")},
    "ParseRequest": {"JobHCL": S_, "Variables": S_, "Canonicalize": B_, "HCLv1": B_},
}
# what only the server sets (reference 2.1): refused rather than silently dropped
SERVER_SET = {"Stop", "ParentID", "Dispatched", "DispatchIdempotencyToken", "Payload", "Status",
              "StatusDescription", "Stable", "Version", "SubmitTime", "CreateIndex",
              "ModifyIndex", "JobModifyIndex", "NomadTokenID", "VersionTag"}
GO_TYPE = {S_: "string", I_: "int", D_: "time.Duration", B_: "bool"}


def decode(value, typ, path):
    """value checked against typ; keys put in their Go spelling; 400 on anything unknown."""
    if typ == ANY or value is None:
        return value
    if isinstance(typ, tuple) and typ[0] == "obj":
        name = typ[1]
        if not isinstance(value, dict):
            raise ApiError(400, f"json: cannot unmarshal {type(value).__name__} into Go struct "
                           f"field {path} of type api.{name}")
        fields = STRUCTS[name]
        lower = {k.lower(): k for k in fields}
        out = {}
        for k, v in value.items():
            if name == "Job" and k in SERVER_SET:
                if k == "Dispatched" and v:
                    raise ApiError(500, multierror("job can't be submitted with the Dispatched field set"))
                if k == "Payload" and v:
                    raise ApiError(500, multierror("job can't be submitted with a payload, only dispatched"))
                raise ApiError(400, f'field "{path}.{k}" is set by the server and must not be sent '
                               "(stand-in rule, reference 2.1)")
            real = lower.get(k.lower())
            if real is None:
                raise ApiError(400, f'unknown field "{path}.{k}" (Nomad would silently ignore it; '
                               "the stand-in refuses it)")
            out[real] = decode(v, fields[real], f"{path}.{real}")
        return out
    if isinstance(typ, tuple) and typ[0] == "list":
        if not isinstance(value, list):
            raise ApiError(400, f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                           f"{path} of type []")
        return [decode(v, typ[1], f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(typ, tuple) and typ[0] == "map":
        if not isinstance(value, dict):
            raise ApiError(400, f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                           f"{path} of type map")
        return {k: decode(v, typ[1], f"{path}.{k}") for k, v in value.items()}
    ok = {S_: isinstance(value, str),
          I_: isinstance(value, int) and not isinstance(value, bool),
          D_: isinstance(value, int) and not isinstance(value, bool),
          B_: isinstance(value, bool)}[typ]
    if not ok:
        raise ApiError(400, f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                       f"{path} of type {GO_TYPE[typ]}")
    return value


def read_body(handler, struct):
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    if not raw.strip():
        raise ApiError(400, "Request body is empty")
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise ApiError(400, f"invalid character in JSON body: {e}") from None
    return decode(data, obj(struct), struct)


# ---- canonicalization and validation (api.Job.Canonicalize; the job checks of docs/nomad.md) ----------------------

RESTART_DEFAULTS = {"batch": {"Attempts": 3, "Interval": 86400 * NS, "Delay": 15 * NS, "Mode": "fail"},
                    "service": {"Attempts": 2, "Interval": 1800 * NS, "Delay": 15 * NS, "Mode": "fail"}}
RESCHEDULE_DEFAULTS = {"batch": {"Attempts": 1, "Interval": 86400 * NS, "Delay": 5 * NS,
                                 "DelayFunction": "constant", "MaxDelay": 0, "Unlimited": False},
                       "service": {"Attempts": 0, "Interval": 0, "Delay": 30 * NS,
                                   "DelayFunction": "exponential", "MaxDelay": 3600 * NS,
                                   "Unlimited": True}}


def canonicalize(job, query_ns):
    job.setdefault("Type", "service")
    job.setdefault("Priority", 50)
    job.setdefault("Namespace", query_ns or "default")
    job.setdefault("Name", job.get("ID"))
    job.setdefault("Region", "global")
    if not job.get("Datacenters"):
        job["Datacenters"] = ["*"]
    job.setdefault("Meta", None)
    kind = "batch" if job["Type"] in ("batch", "sysbatch") else "service"
    if job.get("ParameterizedJob") is not None:
        p = job["ParameterizedJob"]
        p.setdefault("Payload", "optional")
        p["MetaRequired"] = p.get("MetaRequired") or []
        p["MetaOptional"] = p.get("MetaOptional") or []
    for g in job.get("TaskGroups") or []:
        g.setdefault("Count", 1)
        g["RestartPolicy"] = dict(RESTART_DEFAULTS[kind], **(g.get("RestartPolicy") or {}))
        if job["Type"] not in ("system", "sysbatch"):
            g["ReschedulePolicy"] = dict(RESCHEDULE_DEFAULTS[kind], **(g.get("ReschedulePolicy") or {}))
        for t in g.get("Tasks") or []:
            t.setdefault("KillTimeout", 5 * NS)
            t.setdefault("Config", {})
            r = t.setdefault("Resources", {})
            if not r.get("Cores"):
                r.setdefault("CPU", 100)
            r.setdefault("MemoryMB", 300)
            t.setdefault("LogConfig", {"MaxFiles": 10, "MaxFileSizeMB": 10, "Disabled": False})
    return job


CONSTRAINT_OPS = {"=", "==", "is", "!=", "not", ">", ">=", "<", "<=", "regexp", "version", "semver",
                  "set_contains", "set_contains_all", "set_contains_any", "distinct_hosts",
                  "distinct_property", "is_set", "is_not_set"}


def check_constraints(cs, errs):
    for c in cs or []:
        op, lt, rt = c.get("Operand") or "", c.get("LTarget") or "", c.get("RTarget") or ""
        if not op:
            errs.append("Missing constraint operand")
        elif op not in CONSTRAINT_OPS:
            errs.append(f"Unknown constraint type {op}")
        elif op != "distinct_hosts" and not lt:
            errs.append("No LTarget provided but is required by constraint")
        elif op == "regexp":
            try:
                re.compile(rt)
            except re.error as e:
                errs.append(f"Regular expression failed to compile: {e}")
        elif op.startswith("set_") and not rt:
            errs.append("Set contains constraint requires an RTarget")


def check_restart(g, errs):
    r = g.get("RestartPolicy")
    if r is None:
        return
    if r.get("Mode") not in ("fail", "delay"):
        errs.append(f'Unsupported restart mode: "{r.get("Mode")}"')
    if r.get("Attempts", 0) == 0 and r.get("Mode") != "fail":
        errs.append(f'Restart policy "{r.get("Mode")}" with 0 attempts is ambiguous')
    if r.get("Interval", 0) < 5 * NS:
        errs.append("Interval can not be less than 5s")
    if r.get("Attempts", 0) * r.get("Delay", 0) > r.get("Interval", 0):
        errs.append(f"Nomad can't restart the TaskGroup {r.get('Attempts')} times in an interval of "
                    f"{r.get('Interval')} with a delay of {r.get('Delay')}")


def check_reschedule(g, jtype, errs):
    r = g.get("ReschedulePolicy")
    if r is None:
        return
    if jtype in ("system", "sysbatch"):
        errs.append("System jobs should not have a reschedule policy")
        return
    if not r.get("Attempts") and not r.get("Unlimited"):
        return
    if r.get("Delay", 0) < 5 * NS:
        errs.append("Delay cannot be less than 5s")
    if r.get("Attempts", 0) > 0 and (r.get("Interval", 0) <= 0 or r.get("Unlimited")):
        errs.append("Interval must be a non zero value if Attempts > 0, and Unlimited must be false")
    if r.get("DelayFunction") not in ("constant", "exponential", "fibonacci"):
        errs.append(f'Invalid delay function "{r.get("DelayFunction")}"')
    elif r.get("DelayFunction") != "constant" and r.get("MaxDelay", 0) < r.get("Delay", 0):
        errs.append("Max Delay cannot be less than Delay")


def check_task(g, t, errs):
    name = t.get("Name") or ""
    pre = f"Task {name}: "
    if not name:
        errs.append("Missing task name")
    elif name == "alloc" or "/" in name:
        errs.append(pre + "invalid task name")
    drv = t.get("Driver") or ""
    if not drv:
        errs.append(pre + "Missing task driver")
    if t.get("KillTimeout", 0) < 0:
        errs.append(pre + "KillTimeout must be a positive value")
    r = t.get("Resources") or {}
    if "DiskMB" in r:
        errs.append(pre + "Task can't ask for disk resources")
    if r.get("Cores") and r.get("CPU"):
        errs.append(pre + "Only one of cores or cpu may be set")
    elif not r.get("Cores") and r.get("CPU", 1) < 1:
        errs.append(pre + f"minimum CPU value is 1; got {r.get('CPU')}")
    if r.get("MemoryMB", 10) < 10:
        errs.append(pre + f"minimum MemoryMB value is 10; got {r.get('MemoryMB')}")
    f = (t.get("DispatchPayload") or {}).get("File")
    if f and (f.startswith("/") or ".." in f.split("/")):
        errs.append(pre + "dispatch payload file escapes the local directory")
    cfg = t.get("Config") or {}
    if drv in ("raw_exec", "exec"):
        if not isinstance(cfg.get("command"), str):
            errs.append(pre + f"{drv} config needs a command string")
        a = cfg.get("args", [])
        if not isinstance(a, list) or any(not isinstance(x, str) for x in a):
            errs.append(pre + "args must be a list of strings")
    if drv == "docker" and not isinstance(cfg.get("image"), str):
        errs.append(pre + "docker config needs an image")
    vols = g.get("Volumes") or {}
    for i, m in enumerate(t.get("VolumeMounts") or []):
        if m.get("Volume") not in vols:
            errs.append(pre + f"Volume Mount ({i}) references undefined volume {m.get('Volume')}")
    dests = [x.get("DestPath") for x in t.get("Templates") or []]
    if len(dests) != len(set(dests)):
        errs.append(pre + "template destinations must be unique")
    check_constraints(t.get("Constraints"), errs)


def validate_job(job):
    """the job checks of docs/nomad.md; the list of violations (empty when valid)"""
    errs = []
    jid = job.get("ID") or ""
    if not jid:
        errs.append("Missing job ID")
    elif " " in jid or "\0" in jid:
        errs.append("Job ID contains a space" if " " in jid else "Job ID contains a null character")
    if not job.get("Name"):
        errs.append("Missing job name")
    jtype = job.get("Type")
    if jtype not in ("service", "batch", "system", "sysbatch"):
        errs.append(f'Invalid job type: "{jtype}"')
    for dc in job.get("Datacenters") or []:
        if not dc:
            errs.append("Job datacenter must be non-empty string")
    groups = job.get("TaskGroups") or []
    if not groups:
        errs.append("Missing job task groups")
    if not 1 <= job.get("Priority", 50) <= 100:
        errs.append("job priority must be between [1, 100]")
    seen = {}
    for i, g in enumerate(groups):
        n = g.get("Name") or ""
        if not n:
            errs.append(f"Job task group {i + 1} missing name")
        elif n in seen:
            errs.append(f"Job task group {i + 1} redefines '{n}' from group {seen[n] + 1}")
        else:
            seen[n] = i
    p = job.get("ParameterizedJob")
    if p is not None:
        if jtype not in ("batch", "sysbatch"):
            errs.append('Parameterized job can only be used with "batch" or "sysbatch" scheduler')
        if p.get("Payload") not in ("optional", "required", "forbidden"):
            errs.append(f'Unknown payload requirement: "{p.get("Payload")}"')
        both = sorted(set(p.get("MetaRequired") or []) & set(p.get("MetaOptional") or []))
        if both:
            errs.append("Required and optional meta keys should be disjoint. Following keys exist "
                        f"in both: [{' '.join(both)}]")
    check_constraints(job.get("Constraints"), errs)
    for g in groups:
        gerrs = []
        if g.get("Count", 1) < 0:
            gerrs.append("Task group count can't be negative")
        if not g.get("Tasks"):
            gerrs.append("Missing tasks for task group")
        if "MaxRunDuration" in g and (g["MaxRunDuration"] <= 0 or jtype not in ("batch", "sysbatch")):
            gerrs.append("max_run_duration must be positive, batch or sysbatch only")
        check_restart(g, gerrs)
        check_reschedule(g, jtype, gerrs)
        for vn, v in (g.get("Volumes") or {}).items():
            if v.get("Type") != "host":
                gerrs.append(f"volume {vn}: Volume type must be host")
            elif not v.get("Source"):
                gerrs.append(f"volume {vn}: Volume has an empty source")
        check_constraints(g.get("Constraints"), gerrs)
        for t in g.get("Tasks") or []:
            check_task(g, t, gerrs)
            if t.get("Driver") == "raw_exec" and t.get("VolumeMounts"):
                pass  # accepted at register; the client fails the task (reference 2.1)
        if gerrs:
            errs.append(f"Task group {g.get('Name')} validation failed: " + "; ".join(gerrs))
    return errs


# ---- the cluster state ---------------------------------------------------------------------------

class State:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.index = 1
        self.tables = {"jobs": 1, "allocs": 1, "evals": 1, "nodes": 1}
        self.jobs = {}     # (ns, id) -> job
        self.evals = {}    # id -> eval
        self.allocs = {}   # id -> alloc
        self.nodes = {}    # id -> node
        self.procs = {}    # alloc id -> Popen
        self.namespaces = {"default"} | set(args.namespace or [])
        self.region = args.region
        self.tokens = {}
        for t in args.acl_token or []:
            secret, _, policy = t.partition(":")
            self.tokens[secret] = policy or "write"
        self.data_dir = args.data_dir
        self.requests = []
        self.faults = []
        self.fail_allocs = [{"mode": "exit", "exit_code": 1}] * args.fail_allocs
        self.hold = args.hold
        self.held = set()
        self.released = set()
        self.eval_queue = []
        self.stopping = False
        self.vars = {}     # (ns, path) -> variable (Variables, reference 1.11)
        for i in range(args.nodes):
            self.add_node(f"node-{i + 1}", args)

    def add_node(self, name, args):
        nid = str(uuid.uuid4())
        attrs = {"kernel.name": "linux", "cpu.arch": "amd64", "unique.hostname": name,
                 "unique.network.ip-address": "127.0.0.1", "nomad.version": "2.0.6"}
        drivers = set(args.driver or ["raw_exec", "exec", "mock_driver"])
        for d in drivers:
            attrs[f"driver.{d}"] = "1"
        meta = dict(kv.split("=", 1) for kv in (args.node_meta or []))
        vols = {}
        for hv in args.host_volume or []:
            vname, _, path = hv.partition("=")
            vols[vname] = {"Path": path, "ReadOnly": False}
        self.nodes[nid] = {"ID": nid, "Name": name, "Datacenter": args.datacenter,
                           "NodePool": "default", "Status": "ready", "Attributes": attrs,
                           "Meta": meta, "HostVolumes": vols, "Drivers": sorted(drivers),
                           "CPU": args.node_cpu, "MemoryMB": args.node_memory,
                           "CreateIndex": self.index, "ModifyIndex": self.index}

    def bump(self, *tables):
        self.index += 1
        for t in tables:
            self.tables[t] = self.index
        self.cond.notify_all()
        return self.index


S = None  # the State, made in main()


# ---- jobs, evals, allocs -------------------------------------------------------------------------

def job_status(job):
    if job.get("Stop"):
        return "dead"
    if job.get("ParameterizedJob") is not None and not job.get("Dispatched") or \
            job.get("Periodic") or job["Type"] == "system":
        return "running"
    allocs = [a for a in S.allocs.values() if a["JobID"] == job["ID"] and a["Namespace"] == job["Namespace"]]
    if any(a["ClientStatus"] in ("pending", "running", "unknown") for a in allocs):
        return "running"
    evals = [e for e in S.evals.values() if e["JobID"] == job["ID"]]
    if any(e["Status"] in ("pending", "blocked") for e in evals) or (not allocs and not evals):
        return "pending"
    return "dead"


def refresh_job(job):
    st = job_status(job)
    if st != job["Status"]:
        job["Status"] = st
        job["ModifyIndex"] = S.bump("jobs")


def public(d):
    return {k: v for k, v in d.items() if not k.startswith("_")}


def job_spec(job):
    skip = SERVER_SET | {"Name"}
    return {k: v for k, v in job.items() if k not in skip and not k.startswith("_")}


def new_eval(job, triggered_by, status="pending"):
    idx = S.bump("evals")
    ev = {"ID": str(uuid.uuid4()), "Priority": job["Priority"], "Type": job["Type"],
          "TriggeredBy": triggered_by, "Namespace": job["Namespace"], "JobID": job["ID"],
          "JobModifyIndex": job.get("JobModifyIndex", 0), "NodeID": "", "Status": status,
          "StatusDescription": "", "Wait": 0, "WaitUntil": ZERO_TIME, "NextEval": "",
          "PreviousEval": "", "BlockedEval": "", "RelatedEvals": None, "FailedTGAllocs": None,
          "QueuedAllocations": None, "CreateIndex": idx, "ModifyIndex": idx,
          "CreateTime": now_ns(), "ModifyTime": now_ns()}
    S.evals[ev["ID"]] = ev
    if status == "pending":
        S.eval_queue.append(ev["ID"])
    S.cond.notify_all()
    return ev


def target_value(node, target):
    m = re.fullmatch(r"\$\{(attr|meta|node)\.(.+)\}", target or "")
    if not m:
        return target
    kind, key = m.groups()
    if kind == "attr":
        return node["Attributes"].get(key)
    if kind == "meta":
        return node["Meta"].get(key)
    return {"unique.name": node["Name"], "unique.id": node["ID"], "datacenter": node["Datacenter"],
            "class": "", "pool": node["NodePool"]}.get(key)


def constraint_ok(node, c, job):
    op = c.get("Operand")
    lv, rv = target_value(node, c.get("LTarget")), target_value(node, c.get("RTarget"))
    if op in ("=", "==", "is"):
        return lv is not None and lv == rv
    if op in ("!=", "not"):
        return lv != rv
    if op in ("<", "<=", ">", ">="):
        try:
            a, b = float(lv), float(rv)
        except (TypeError, ValueError):
            a, b = lv or "", rv or ""
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    if op == "regexp":
        return lv is not None and re.search(rv or "", lv) is not None
    if op == "is_set":
        return lv is not None
    if op == "is_not_set":
        return lv is None
    if op.startswith("set_contains"):
        have = {x.strip() for x in (lv or "").split(",")}
        want = {x.strip() for x in (rv or "").split(",")}
        return want <= have if op != "set_contains_any" else bool(want & have)
    if op == "distinct_hosts":
        return not any(a["NodeID"] == node["ID"] and a["JobID"] == job["ID"] and
                       a["ClientStatus"] in ("pending", "running") for a in S.allocs.values())
    return True  # version, semver, distinct_property: not modelled


def group_demand(g):
    cpu = sum((t.get("Resources") or {}).get("CPU", 100) for t in g["Tasks"])
    mem = sum((t.get("Resources") or {}).get("MemoryMB", 300) for t in g["Tasks"])
    return cpu, mem


def feasible(job, g):
    """(node or None, metrics for FailedTGAllocs)"""
    m = {"NodesEvaluated": 0, "NodesFiltered": 0, "NodesInPool": len(S.nodes), "NodesAvailable": {},
         "ClassFiltered": None, "ConstraintFiltered": {}, "NodesExhausted": 0, "ClassExhausted": None,
         "DimensionExhausted": {}, "QuotaExhausted": None, "Scores": None, "AllocationTime": 0,
         "CoalescedFailures": 0}
    cons = (job.get("Constraints") or []) + (g.get("Constraints") or [])
    for t in g["Tasks"]:
        cons += t.get("Constraints") or []
    for node in sorted(S.nodes.values(), key=lambda n: n["Name"]):
        if node["Status"] != "ready":
            continue
        if not any(fnmatch.fnmatchcase(node["Datacenter"], dc) for dc in job["Datacenters"]):
            continue
        m["NodesAvailable"][node["Datacenter"]] = m["NodesAvailable"].get(node["Datacenter"], 0) + 1
        m["NodesEvaluated"] += 1
        why = None
        for t in g["Tasks"]:
            if t["Driver"] not in node["Drivers"]:
                why = f"missing drivers"
        for v in (g.get("Volumes") or {}).values():
            if v.get("Type") == "host" and v.get("Source") not in node["HostVolumes"]:
                why = "missing compatible host volumes"
        if why is None:
            why = devices_missing(node, g)
        for c in cons:
            if why is None and not constraint_ok(node, c, job):
                why = f"{c.get('LTarget', '')} {c.get('Operand')} {c.get('RTarget', '')}".strip()
        if why:
            m["NodesFiltered"] += 1
            m["ConstraintFiltered"][why] = m["ConstraintFiltered"].get(why, 0) + 1
            continue
        cpu, mem = group_demand(g)
        used = [a for a in S.allocs.values() if a["NodeID"] == node["ID"] and
                a["ClientStatus"] in ("pending", "running")]
        ucpu = sum(a["_cpu"] for a in used)
        umem = sum(a["_mem"] for a in used)
        if devices_exhausted(node, g, used):
            m["NodesExhausted"] += 1
            dim = "devices: no devices match request"
            m["DimensionExhausted"][dim] = m["DimensionExhausted"].get(dim, 0) + 1
            continue
        if ucpu + cpu > node["CPU"] or umem + mem > node["MemoryMB"]:
            m["NodesExhausted"] += 1
            dim = "cpu" if ucpu + cpu > node["CPU"] else "memory"
            m["DimensionExhausted"][dim] = m["DimensionExhausted"].get(dim, 0) + 1
            continue
        return node, m
    return None, m


def place(job, g, node, ev, index_in_group, previous=None):
    idx = S.bump("allocs")
    aid = str(uuid.uuid4())
    cpu, mem = group_demand(g)
    a = {"ID": aid, "EvalID": ev["ID"], "Name": f"{job['ID']}.{g['Name']}[{index_in_group}]",
         "Namespace": job["Namespace"], "NodeID": node["ID"], "NodeName": node["Name"],
         "JobID": job["ID"], "JobType": job["Type"], "JobVersion": job.get("Version", 0),
         "TaskGroup": g["Name"], "DesiredStatus": "run", "DesiredDescription": "",
         "ClientStatus": "pending", "ClientDescription": "No tasks have started",
         "TaskStates": None, "DeploymentStatus": None, "FollowupEvalID": "", "NextAllocation": "",
         "PreviousAllocation": previous or "", "RescheduleTracker": None,
         "PreemptedAllocations": None, "PreemptedByAllocation": "",
         "AllocatedResources": {"Tasks": {t["Name"]: {"Cpu": {"CpuShares": (t.get("Resources") or {}).get("CPU", 100)},
                                                      "Memory": {"MemoryMB": (t.get("Resources") or {}).get("MemoryMB", 300)}}
                                          for t in g["Tasks"]}, "Shared": {"Ports": None}},
         "CreateIndex": idx, "ModifyIndex": idx, "AllocModifyIndex": idx,
         "CreateTime": now_ns(), "ModifyTime": now_ns(), "_cpu": cpu, "_mem": mem,
         "_ns": job["Namespace"]}
    if previous and previous in S.allocs:
        S.allocs[previous]["NextAllocation"] = aid
        S.allocs[previous]["ModifyIndex"] = idx
        a["RescheduleTracker"] = {"Events": [{"RescheduleTime": now_ns(), "PrevAllocID": previous,
                                              "PrevNodeID": S.allocs[previous]["NodeID"],
                                              "Delay": 0}]}
    a["_devices"] = device_demand(g)
    S.allocs[aid] = a
    threading.Thread(target=run_alloc, args=(aid,), daemon=True).start()
    return a


def process_eval(ev):
    key = (ev["Namespace"], ev["JobID"])
    job = S.jobs.get(key)
    if job is None or job.get("Stop"):
        ev["Status"], ev["ModifyIndex"] = "complete", S.bump("evals")
        return
    failed, queued = {}, {}
    for g in job["TaskGroups"]:
        mine = [a for a in S.allocs.values() if a["JobID"] == job["ID"] and a["TaskGroup"] == g["Name"]
                and a["_ns"] == job["Namespace"]]
        live = [a for a in mine if not a.get("_replace")]
        need = g["Count"] - len(live)
        replaceable = [a for a in mine if a.get("_replace")]
        for i in range(need):
            node, metrics = feasible(job, g)
            if node is None:
                failed[g["Name"]] = dict(metrics, CoalescedFailures=need - i - 1)
                queued[g["Name"]] = need - i
                break
            prev = replaceable.pop(0) if replaceable else None
            if prev is not None:
                prev["_replace"] = False
            place(job, g, node, ev, len(live) + i, prev["ID"] if prev else None)
    ev["Status"] = "complete"
    ev["QueuedAllocations"] = queued or {g["Name"]: 0 for g in job["TaskGroups"]}
    if failed:
        ev["FailedTGAllocs"] = failed
        blocked = new_eval(job, "queued-allocs", status="blocked")
        blocked["PreviousEval"] = ev["ID"]
        blocked["StatusDescription"] = "created to place remaining allocations"
        ev["BlockedEval"] = blocked["ID"]
    ev["ModifyIndex"] = ev["ModifyTime"] = S.bump("evals")
    ev["ModifyTime"] = now_ns()
    refresh_job(job)


def unblock_evals():
    for ev in S.evals.values():
        if ev["Status"] == "blocked":
            ev["Status"], ev["ModifyIndex"] = "pending", S.bump("evals")
            S.eval_queue.append(ev["ID"])


def scheduler_loop():
    with S.cond:
        while not S.stopping:
            pending = [S.evals[i] for i in S.eval_queue if S.evals.get(i, {}).get("Status") == "pending"]
            if not pending:
                S.eval_queue = []
                S.cond.wait(1.0)
                continue
            pending.sort(key=lambda e: (-e["Priority"], e["CreateIndex"]))
            ev = pending[0]
            S.eval_queue = [i for i in S.eval_queue if i != ev["ID"]]
            process_eval(ev)


# ---- the fake client -----------------------------------------------------------------------------

def task_event(alloc, task, etype, msg="", details=None, **extra):
    ts = alloc["TaskStates"] = alloc["TaskStates"] or {}
    st = ts.setdefault(task, {"State": "pending", "Failed": False, "Restarts": 0,
                              "LastRestart": ZERO_TIME, "StartedAt": ZERO_TIME,
                              "FinishedAt": ZERO_TIME, "Events": []})
    ev = {"Type": etype, "Time": now_ns(), "DisplayMessage": msg, "Message": msg,
          "Details": details or {}, "FailsTask": False, "ExitCode": 0, "Signal": 0,
          "DriverError": "", "KillReason": ""}
    ev.update(extra)
    st["Events"].append(ev)
    return st


def client_update(alloc):
    """ClientStatus from the task states (reference 1.5), then the job; one write"""
    if alloc["ClientStatus"] in ("lost", "unknown"):
        return
    states = list((alloc["TaskStates"] or {}).values())
    if any(s["State"] == "dead" and s["Failed"] for s in states):
        cs, cd = "failed", "Failed tasks"
    elif any(s["State"] == "running" for s in states):
        cs, cd = "running", "Tasks are running"
    elif any(s["State"] == "pending" for s in states) or not states:
        cs, cd = "pending", "No tasks have started"
    else:
        cs, cd = "complete", "All tasks have completed"
    alloc["ClientStatus"], alloc["ClientDescription"] = cs, cd
    alloc["ModifyIndex"] = alloc["AllocModifyIndex"] = S.bump("allocs")
    alloc["ModifyTime"] = now_ns()
    job = S.jobs.get((alloc["_ns"], alloc["JobID"]))
    if job is not None:
        refresh_job(job)
    if cs in ("complete", "failed"):
        if cs == "failed":
            maybe_reschedule(alloc, job)
        unblock_evals()


def maybe_reschedule(alloc, job):
    if job is None:
        return
    g = next(x for x in job["TaskGroups"] if x["Name"] == alloc["TaskGroup"])
    rp = g.get("ReschedulePolicy") or {}
    prior = len((alloc.get("RescheduleTracker") or {}).get("Events") or [])
    if rp.get("Unlimited") or prior < rp.get("Attempts", 0):
        alloc["_replace"] = True
        alloc["DesiredDescription"] = "alloc was rescheduled because it failed"
        delay = rp.get("Delay", 0) / NS

        def later():
            with S.cond:
                new_eval(job, "alloc-failure")
        threading.Timer(delay, later).start()


def interpolate(s, env, node):
    def sub(m):
        k = m.group(1)
        if k.startswith(("attr.", "meta.", "node.")):
            v = target_value(node, "${" + k + "}")
            return v if v is not None else m.group(0)
        if k.startswith("env."):
            return env.get(k[4:], "")
        return env.get(k, m.group(0))
    return re.sub(r"\$\{([^}]+)\}", sub, s)


def task_env(alloc, job, g, t, node, task_dir, alloc_dir):
    env = dict(os.environ)  # raw_exec and exec pass the agent's environment through
    meta = {}
    for src in (job.get("Meta") or {}, g.get("Meta") or {}, t.get("Meta") or {}):
        meta.update(src)
    p = job.get("ParameterizedJob") or {}
    for k in p.get("MetaOptional") or []:
        meta.setdefault(k, "")
    for k, v in meta.items():
        k2 = re.sub(r"[^A-Za-z0-9_.]", "_", k)
        env["NOMAD_META_" + k2] = v
        env["NOMAD_META_" + k2.upper()] = v
    res = t.get("Resources") or {}
    env.update({"NOMAD_ALLOC_ID": alloc["ID"], "NOMAD_SHORT_ALLOC_ID": alloc["ID"][:8],
                "NOMAD_ALLOC_NAME": alloc["Name"], "NOMAD_ALLOC_INDEX": alloc["Name"].rsplit("[", 1)[1][:-1],
                "NOMAD_JOB_ID": job["ID"], "NOMAD_JOB_NAME": job["Name"],
                "NOMAD_JOB_PARENT_ID": job.get("ParentID") or "", "NOMAD_GROUP_NAME": g["Name"],
                "NOMAD_TASK_NAME": t["Name"], "NOMAD_NAMESPACE": job["Namespace"],
                "NOMAD_REGION": S.region, "NOMAD_DC": node["Datacenter"],
                "NOMAD_CPU_LIMIT": str(res.get("CPU", 100)),
                "NOMAD_MEMORY_LIMIT": str(res.get("MemoryMB", 300)),
                "NOMAD_ALLOC_DIR": os.path.join(alloc_dir, "alloc"), "NOMAD_TASK_DIR": os.path.join(task_dir, "local"),
                "NOMAD_SECRETS_DIR": os.path.join(task_dir, "secrets")})
    for k, v in (t.get("Env") or {}).items():
        env[k] = interpolate(v, env, node)
    return env


def finish_task(alloc, task, code, signal_no=0, message=""):
    details = {"exit_code": str(code), "signal": str(signal_no), "oom_killed": "false"}
    msg = f"Exit Code: {code}" + (f", Signal: {signal_no}" if signal_no else "") + \
        (f', Exit Message: "{message}"' if message else "")
    st = task_event(alloc, task, "Terminated", msg, details, ExitCode=code, Signal=signal_no)
    st["FinishedAt"] = rfc3339()
    st["State"] = "dead"
    if code != 0:
        task_event(alloc, task, "Not Restarting", "Policy allows no restarts",
                   {"fails_task": "true", "restart_reason": "Policy allows no restarts"}, FailsTask=True)
        st["Failed"] = True


def fail_setup(alloc, task, etype, msg):
    st = task_event(alloc, task, etype, msg, {"fails_task": "true"}, FailsTask=True, DriverError=msg)
    task_event(alloc, task, "Not Restarting", "Error was unrecoverable", {"fails_task": "true"},
               FailsTask=True)
    st["State"], st["Failed"], st["FinishedAt"] = "dead", True, rfc3339()


def mounts_match(g, t, node):
    """no real mounts here: an exec task sees the host path, so the mount must be that path"""
    for m in t.get("VolumeMounts") or []:
        src = ((g.get("Volumes") or {}).get(m["Volume"]) or {}).get("Source")
        hv = node["HostVolumes"].get(src)
        if hv and hv["Path"].rstrip("/") != m["Destination"].rstrip("/"):
            return False
    return True


def prepare(aid):
    """Received .. Started, under the lock; returns what run_alloc needs, or None when done"""
    a = S.allocs[aid]
    job = S.jobs[(a["_ns"], a["JobID"])]
    g = next(x for x in job["TaskGroups"] if x["Name"] == a["TaskGroup"])
    t = g["Tasks"][0]
    node = S.nodes[a["NodeID"]]
    task_event(a, t["Name"], "Received", "Task received by client")
    alloc_dir = os.path.join(S.data_dir, "alloc", aid)
    task_dir = os.path.join(alloc_dir, t["Name"])
    for d in (os.path.join(alloc_dir, "alloc", "logs"), os.path.join(task_dir, "local"),
              os.path.join(task_dir, "secrets")):
        os.makedirs(d, exist_ok=True)
    task_event(a, t["Name"], "Task Setup", "Building Task Directory")
    client_update(a)
    injected = S.fail_allocs.pop(0) if S.fail_allocs else None
    drv = t["Driver"]
    if t.get("VolumeMounts") and drv == "raw_exec":
        fail_setup(a, t["Name"], "Setup Failure",
                   f'task driver "raw_exec" for "{t["Name"]}" does not support host volumes')
    elif drv == "exec" and not mounts_match(g, t, node):
        fail_setup(a, t["Name"], "Setup Failure", "the stand-in cannot mount: volume_mount "
                   "destination must equal the host volume's path")
    elif injected and injected["mode"] == "driver":
        fail_setup(a, t["Name"], "Driver Failure", injected.get("message") or "failed to start task: injected")
    else:
        st = task_event(a, t["Name"], "Started", "Task started by client")
        st["State"], st["StartedAt"] = "running", rfc3339()
    client_update(a)
    if a["ClientStatus"] != "running":
        return None
    env = task_env(a, job, g, t, node, task_dir, alloc_dir)
    hold = False
    if S.hold > 0:
        S.hold -= 1
        S.held.add(aid)
        hold = True
    return {"alloc": a, "task": t, "env": env, "task_dir": task_dir, "alloc_dir": alloc_dir,
            "node": node, "injected": injected, "hold": hold}


def run_alloc(aid):
    with S.cond:
        r = prepare(aid)
        if r is None:
            return
        while r["hold"] and aid not in S.released and r["alloc"]["ClientStatus"] == "running" \
                and not S.stopping:
            S.cond.wait(0.5)
        S.held.discard(aid)
        if r["alloc"]["ClientStatus"] != "running":
            return  # lost with its node meanwhile
    t, a, inj = r["task"], r["alloc"], r["injected"]
    cfg = t.get("Config") or {}
    if inj and inj["mode"] == "exit":
        code, sig, msg = inj.get("exit_code", 1), 0, inj.get("message", "")
    elif t["Driver"] in ("raw_exec", "exec"):
        argv = [interpolate(cfg["command"], r["env"], r["node"])] + \
               [interpolate(x, r["env"], r["node"]) for x in cfg.get("args") or []]
        logs = os.path.join(r["alloc_dir"], "alloc", "logs")
        with open(os.path.join(logs, t["Name"] + ".stdout.0"), "ab") as out, \
                open(os.path.join(logs, t["Name"] + ".stderr.0"), "ab") as err:
            try:
                p = subprocess.Popen(argv, env=r["env"], cwd=r["task_dir"], stdout=out, stderr=err,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as e:
                with S.cond:
                    fail_setup(a, t["Name"], "Driver Failure", f"failed to launch command: {e}")
                    client_update(a)
                return
            with S.cond:
                S.procs[aid] = p
            rc = p.wait()
            with S.cond:
                S.procs.pop(aid, None)
        code, sig, msg = (rc, 0, "") if rc >= 0 else (128 - rc, -rc, "")
    elif t["Driver"] == "docker" and cfg.get("image") in DOCKER_SHIM:
        code, sig, msg = run_docker_shim(r)
        if code is None:
            return  # failed to start: reported as a driver failure
    else:  # mock_driver and docker: the mock driver's knobs
        time.sleep(nomad_hcl.duration_ns(cfg.get("run_for", "0s")) / NS)
        code, sig, msg = int(cfg.get("exit_code", 0)), 0, cfg.get("exit_err_msg", "")
    with S.cond:
        if a["ClientStatus"] != "running":
            return  # lost, or stopped, while it ran
        finish_task(a, t["Name"], code, sig, msg)
        client_update(a)


# ---- devices (GPUs) and the docker shim ----------------------------------------------------------
# Nodes have --node-gpus N devices "nvidia/gpu" (Nomad's fingerprint: vendor nvidia, type gpu).
# A task's Resources.Devices [{"Name": "nvidia/gpu", "Count": n}] filters out a node with fewer
# healthy instances ("missing devices", ConstraintFiltered, as Nomad's device checker says) and
# exhausts one whose instances are taken by running allocs (DimensionExhausted "devices: no
# devices match request"). The docker driver runs an image named by --docker-shim IMAGE=COMMAND as
# that command (no container), with the task's environment and its alloc logs, as raw_exec would.
NODE_GPUS = 0
DOCKER_SHIM = {}


def device_matches(name):
    return name in ("gpu", "nvidia/gpu") or name.startswith("nvidia/gpu/")


def device_demand(g):
    n = 0
    for t in g["Tasks"]:
        for d in (t.get("Resources") or {}).get("Devices") or []:
            if device_matches(d.get("Name", "")):
                n += d.get("Count", 1) if d.get("Count") is not None else 1
    return n


def devices_missing(node, g):
    return "missing devices" if device_demand(g) > node.get("_gpus", 0) else None


def devices_exhausted(node, g, used):
    need = device_demand(g)
    return need > 0 and need + sum(a.get("_devices", 0) for a in used) > node.get("_gpus", 0)


def add_gpus(n):
    for node in S.nodes.values():
        node["_gpus"] = n
        if n:
            node["NodeResources"] = {"Devices": [{
                "Vendor": "nvidia", "Type": "gpu", "Name": "Tesla T4", "Attributes": {},
                "Instances": [{"ID": f"GPU-{node['Name']}-{i}", "Healthy": True} for i in range(n)]}]}


def run_docker_shim(r):
    """the image's command for a docker task; (code, signal, message), or (None,..) when it could
    not start (then the alloc failed with a driver failure)"""
    t, a = r["task"], r["alloc"]
    g = next(x for x in S.jobs[(a["_ns"], a["JobID"])]["TaskGroups"] if x["Name"] == a["TaskGroup"])
    if not mounts_match(g, t, r["node"]):
        with S.cond:
            fail_setup(a, t["Name"], "Setup Failure", "the stand-in cannot mount: volume_mount "
                       "destination must equal the host volume's path")
            client_update(a)
        return None, 0, ""
    argv = shlex.split(DOCKER_SHIM[(t.get("Config") or {})["image"]])
    logs = os.path.join(r["alloc_dir"], "alloc", "logs")
    with open(os.path.join(logs, t["Name"] + ".stdout.0"), "ab") as out, \
            open(os.path.join(logs, t["Name"] + ".stderr.0"), "ab") as err:
        try:
            p = subprocess.Popen(argv, env=r["env"], cwd=r["task_dir"], stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as e:
            with S.cond:
                fail_setup(a, t["Name"], "Driver Failure", f"failed to create container: {e}")
                client_update(a)
            return None, 0, ""
        with S.cond:
            S.procs[a["ID"]] = p
        rc = p.wait()
        with S.cond:
            S.procs.pop(a["ID"], None)
    return (rc, 0, "") if rc >= 0 else (128 - rc, -rc, "")


def kill_alloc_process(aid):
    p = S.procs.pop(aid, None)
    if p is not None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass


def node_down(node, for_s):
    node["Status"], node["ModifyIndex"] = "down", S.bump("nodes")
    for a in list(S.allocs.values()):
        if a["NodeID"] != node["ID"] or a["ClientStatus"] not in ("pending", "running"):
            continue
        kill_alloc_process(a["ID"])
        job = S.jobs.get((a["_ns"], a["JobID"]))
        g = next(x for x in job["TaskGroups"] if x["Name"] == a["TaskGroup"]) if job else {}
        dc = g.get("Disconnect") or {}
        replace = dc.get("Replace", True)
        if dc.get("LostAfter"):
            a["ClientStatus"] = "unknown"
            a["ClientDescription"] = "alloc is unknown since its node is disconnected"
            a["ModifyIndex"] = S.bump("allocs")

            def lose(aid=a["ID"]):
                with S.cond:
                    x = S.allocs.get(aid)
                    if x and x["ClientStatus"] == "unknown":
                        mark_lost(x, False)
            threading.Timer(dc["LostAfter"] / NS, lose).start()
        else:
            mark_lost(a, replace)
        if replace and job is not None and dc.get("LostAfter"):
            a["_replace"] = True
            new_eval(job, "node-update")
    if for_s:
        def up():
            with S.cond:
                node_up(node)
        threading.Timer(for_s, up).start()


def mark_lost(a, replace):
    a["ClientStatus"], a["DesiredStatus"] = "lost", "stop"
    a["ClientDescription"] = "alloc is lost since its node is down"
    a["DesiredDescription"] = "alloc is lost since its node is down"
    a["ModifyIndex"] = a["AllocModifyIndex"] = S.bump("allocs")
    job = S.jobs.get((a["_ns"], a["JobID"]))
    if job is not None:
        if replace:
            a["_replace"] = True
            new_eval(job, "node-update")
        refresh_job(job)


def node_up(node):
    if node["Status"] != "ready":
        node["Status"], node["ModifyIndex"] = "ready", S.bump("nodes")
        unblock_evals()


# ---- the API -------------------------------------------------------------------------------------

def parse_duration_q(s):
    try:
        return nomad_hcl.duration_ns(s) / NS
    except nomad_hcl.HclError:
        raise ApiError(400, "Invalid wait time") from None


def register(body, query_ns, name_from_path=None):
    job = body.get("Job")
    if job is None:
        raise ApiError(400, "Job must be specified")
    if not job.get("ID"):
        raise ApiError(400, "Job ID hasn't been provided")
    if name_from_path is not None and job["ID"] != name_from_path:
        raise ApiError(400, "Job ID does not match name")
    submitted = json.loads(json.dumps(job))
    job = canonicalize(job, query_ns)
    if job["Namespace"] not in S.namespaces:
        raise ApiError(500, f'job "{job["ID"]}" is in nonexistent namespace "{job["Namespace"]}"')
    errs = validate_job(job)
    if errs:
        raise ApiError(500, multierror(*errs))
    key = (job["Namespace"], job["ID"])
    old = S.jobs.get(key)
    if old is not None and not old.get("Stop"):
        if old["Type"] != job["Type"]:
            raise ApiError(500, multierror(f'cannot update job from type "{old["Type"]}" to "{job["Type"]}"'))
        if old.get("ParameterizedJob") is not None and job.get("ParameterizedJob") is None:
            raise ApiError(500, multierror("cannot update parameterized job to being non-parameterized"))
        if job_spec(old) == job_spec(job) and job.get("ParameterizedJob") is not None:
            return {"EvalID": "", "EvalCreateIndex": 0, "JobModifyIndex": old["JobModifyIndex"],
                    "Warnings": "", "Index": old["JobModifyIndex"], "LastContact": 0,
                    "KnownLeader": True, "NextToken": ""}
    if body.get("EnforceIndex") and (old["JobModifyIndex"] if old else 0) != body.get("JobModifyIndex", 0):
        raise ApiError(500, multierror(f"Enforcing job modify index {body.get('JobModifyIndex')}: "
                                       f"job exists with conflicting job modify index: "
                                       f"{old['JobModifyIndex'] if old else 0}"))
    idx = S.bump("jobs")
    job.update({"Stop": False, "ParentID": "", "Dispatched": False, "Payload": None,
                "DispatchIdempotencyToken": "", "Status": "pending", "StatusDescription": "",
                "Stable": False, "Version": (old["Version"] + 1) if old else 0,
                "SubmitTime": now_ns(), "CreateIndex": old["CreateIndex"] if old else idx,
                "ModifyIndex": idx, "JobModifyIndex": idx, "_submitted": submitted})
    S.jobs[key] = job
    eval_id, eval_idx = "", 0
    if job.get("ParameterizedJob") is None and not job.get("Periodic"):
        ev = new_eval(job, "job-register")
        eval_id, eval_idx = ev["ID"], ev["CreateIndex"]
    job["Status"] = job_status(job)
    return {"EvalID": eval_id, "EvalCreateIndex": eval_idx, "JobModifyIndex": idx, "Warnings": "",
            "Index": S.index, "LastContact": 0, "KnownLeader": True, "NextToken": ""}


def dispatch(parent_id, ns, body, token):
    if body.get("JobID") and body["JobID"] != parent_id:
        raise ApiError(400, "Job ID does not match")
    parent = S.jobs.get((ns, parent_id))
    if parent is None:
        raise ApiError(500, "parameterized job not found")
    if parent.get("ParameterizedJob") is None or parent.get("Dispatched"):
        raise ApiError(500, f'Specified job "{parent_id}" is not a parameterized job')
    if parent.get("Stop"):
        raise ApiError(500, f'Specified job "{parent_id}" is stopped')
    p = parent["ParameterizedJob"]
    payload = base64.b64decode(body["Payload"]) if body.get("Payload") else b""
    if p["Payload"] == "required" and not payload:
        raise ApiError(500, "Payload is not provided but required by parameterized job")
    if p["Payload"] == "forbidden" and payload:
        raise ApiError(500, "Payload provided but forbidden by parameterized job")
    if len(payload) > PAYLOAD_MAX:
        raise ApiError(500, f"Payload exceeds maximum size; {len(payload)} > {PAYLOAD_MAX}")
    meta = body.get("Meta") or {}
    allowed = set(p["MetaRequired"]) | set(p["MetaOptional"])
    extra = [k for k in meta if k not in allowed]
    if extra:
        random.shuffle(extra)  # Go map order
        raise ApiError(500, f"Dispatch request included unpermitted metadata keys: [{' '.join(extra)}]")
    missing = [k for k in p["MetaRequired"] if k not in meta]
    if missing:
        random.shuffle(missing)
        raise ApiError(500, f"Dispatch did not provide required meta keys: [{' '.join(missing)}]")
    prio = body.get("Priority") or 0
    if prio and not 1 <= prio <= 100:
        raise ApiError(500, "dispatch job priority must be between [1, 100]")
    if token:
        for j in S.jobs.values():
            if j.get("ParentID") == parent_id and j["Namespace"] == ns and \
                    j.get("DispatchIdempotencyToken") == token:
                return {"DispatchedJobID": j["ID"], "EvalID": "", "EvalCreateIndex": 0,
                        "JobCreateIndex": j["CreateIndex"], "Index": j["CreateIndex"]}
    tmpl = body.get("IdPrefixTemplate")
    child_id = f"{parent_id}/dispatch-{tmpl + '-' if tmpl else ''}{int(time.time())}-{uuid.uuid4().hex[:8]}"
    idx = S.bump("jobs")
    child = json.loads(json.dumps(job_spec(parent)))
    child.update({"ID": child_id, "Name": child_id, "ParentID": parent_id, "Dispatched": True,
                  "Priority": prio or parent["Priority"], "Meta": dict(parent.get("Meta") or {}, **meta),
                  "Payload": base64.b64encode(payload).decode() if payload else None,
                  "DispatchIdempotencyToken": token or "", "SubmitTime": now_ns(), "Stop": False,
                  "Status": "pending", "StatusDescription": "", "Stable": False, "Version": 0,
                  "CreateIndex": idx, "ModifyIndex": idx, "JobModifyIndex": idx})
    S.jobs[(ns, child_id)] = child
    ev = new_eval(child, "job-register")
    return {"DispatchedJobID": child_id, "EvalID": ev["ID"], "EvalCreateIndex": ev["CreateIndex"],
            "JobCreateIndex": idx, "Index": S.index}


def stub(a):
    keys = ["ID", "EvalID", "Name", "Namespace", "NodeID", "NodeName", "JobID", "JobType",
            "JobVersion", "TaskGroup", "AllocatedResources", "DesiredStatus", "DesiredDescription",
            "ClientStatus", "ClientDescription", "TaskStates", "DeploymentStatus", "FollowupEvalID",
            "NextAllocation", "RescheduleTracker", "PreemptedAllocations", "PreemptedByAllocation",
            "CreateIndex", "ModifyIndex", "CreateTime", "ModifyTime"]
    return {k: a.get(k) for k in keys}


def job_stub(j, with_meta):
    s = {k: j.get(k) for k in ("ID", "ParentID", "Name", "Namespace", "Datacenters", "Type",
                               "Priority", "Periodic", "ParameterizedJob", "Stop", "Status",
                               "StatusDescription", "CreateIndex", "ModifyIndex", "JobModifyIndex",
                               "SubmitTime")}
    s["Periodic"] = bool(j.get("Periodic"))
    s["ParameterizedJob"] = j.get("ParameterizedJob") is not None
    s["JobSummary"] = summary(j)
    if with_meta:
        s["Meta"] = j.get("Meta")
    return s


def summary(j):
    groups = {}
    for g in j["TaskGroups"]:
        c = {"Queued": 0, "Complete": 0, "Failed": 0, "Running": 0, "Starting": 0, "Lost": 0, "Unknown": 0}
        for a in S.allocs.values():
            if a["JobID"] == j["ID"] and a["TaskGroup"] == g["Name"] and a["_ns"] == j["Namespace"]:
                k = {"pending": "Starting", "running": "Running", "complete": "Complete",
                     "failed": "Failed", "lost": "Lost", "unknown": "Unknown"}[a["ClientStatus"]]
                c[k] += 1
        for e in S.evals.values():
            if e["JobID"] == j["ID"] and e["Status"] == "blocked":
                c["Queued"] += 1
        groups[g["Name"]] = c
    kids = {"Pending": 0, "Running": 0, "Dead": 0}
    for k in S.jobs.values():
        if k.get("ParentID") == j["ID"] and k["Namespace"] == j["Namespace"]:
            kids[k["Status"].capitalize()] = kids.get(k["Status"].capitalize(), 0) + 1
    return {"JobID": j["ID"], "Namespace": j["Namespace"], "Summary": groups, "Children": kids,
            "CreateIndex": j["CreateIndex"], "ModifyIndex": j["ModifyIndex"]}


def filter_jobs(expr):
    m = re.fullmatch(r'\s*(\w+)\s*==\s*"([^"]*)"\s*', expr or "")
    if not m:
        raise ApiError(400, f"failed to read filter expression: {expr}")
    return lambda j: str(j.get(m.group(1))) == m.group(2)


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nomad-standin"

    def log_message(self, fmt, *args):
        if os.environ.get("NOMAD_STANDIN_VERBOSE"):
            sys.stderr.write("standin: " + fmt % args + "\n")

    def setup(self):
        super().setup()
        with S.lock:
            self.server.live.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with S.lock:
                self.server.live.discard(self.connection)

    def do_GET(self):
        self.handle_api("GET")

    def do_PUT(self):
        self.handle_api("PUT")

    def do_POST(self):
        self.handle_api("POST")

    def do_DELETE(self):
        self.handle_api("DELETE")

    def send(self, status, body, index=None, text=False):
        data = (body if text else json.dumps(body)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8" if text else "application/json")
            self.send_header("Content-Length", str(len(data)))
            if index is not None:
                self.send_header("X-Nomad-Index", str(index))
                self.send_header("X-Nomad-KnownLeader", "true")
                self.send_header("X-Nomad-LastContact", "0")
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def fault(self, method, path, query="", token=""):
        with S.lock:
            for f in S.faults:
                if f["count"] == 0:
                    continue
                if f.get("method") and f["method"] != method:
                    continue
                if f.get("path") and not re.search(f["path"], path):
                    continue
                if f.get("query") and not re.search(f["query"], query):
                    continue
                if f.get("token") and f["token"] != token:
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                return dict(f)
        return None

    def handle_api(self, method):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        tok = self.headers.get("X-Nomad-Token") or ""
        if not tok and (self.headers.get("Authorization") or "").startswith("Bearer "):
            tok = self.headers["Authorization"][7:]
        with S.lock:
            S.requests.append({"seq": len(S.requests) + 1, "method": method, "path": u.path,
                               "query": q, "token": bool(tok), "time": time.time()})
        f = self.fault(method, u.path, u.query, tok)
        if f and f["kind"] == "drop":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if f and f["kind"] == "slow":
            time.sleep(f.get("delay_s", 5))
        if f and f["kind"] == "status":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send(f.get("status", 500), f.get("message", "No cluster leader"), text=True)
            return
        try:
            self.route(method, u.path, q, tok)
        except ApiError as e:
            self.send(e.status, e.text, text=True)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def acl(self, tok, write, path):
        if not S.tokens or path == "/v1/status/leader":
            return
        if not tok:
            raise ApiError(403, "Permission denied")
        if tok not in S.tokens:
            raise ApiError(403, "ACL token not found")
        if write and S.tokens[tok] != "write":
            raise ApiError(403, "Permission denied")

    def route(self, method, path, q, tok):
        write = method in ("PUT", "POST", "DELETE") and path not in ("/v1/jobs/parse", "/v1/validate/job")
        self.acl(tok, write, path)
        if q.get("region") and q["region"] != S.region:
            raise ApiError(500, "No path to region")
        ns = q.get("namespace") or "default"
        if path == "/v1/status/leader":
            return self.send(200, "127.0.0.1:4647", index=S.index)
        if path == "/v1/event/stream":
            return event_stream(self, q, ns)
        if path == "/v1/vars" or path.startswith("/v1/var/") or path == "/v1/var":
            return route_var(self, method, path, q)
        if path == "/v1/jobs":
            if method in ("PUT", "POST"):
                body = read_body(self, "RegisterRequest")
                with S.cond:
                    r = register(body, q.get("namespace"))
                    return self.send(200, r, index=r["Index"])
            if method == "GET":
                def list_jobs():
                    js = [j for j in S.jobs.values() if ns == "*" or j["Namespace"] == ns]
                    if q.get("prefix"):
                        js = [j for j in js if j["ID"].startswith(q["prefix"])]
                    if q.get("filter"):
                        js = list(filter(filter_jobs(q["filter"]), js))
                    js.sort(key=lambda j: j["ID"])
                    return 200, [job_stub(j, q.get("meta") == "true") for j in js], S.tables["jobs"]
                return self.blocking(q, list_jobs)
            raise ApiError(405, "Invalid method")
        if path == "/v1/jobs/parse":
            body = read_body(self, "ParseRequest")
            try:
                vs = nomad_hcl.parse_vars(body.get("Variables") or "") if body.get("Variables") else {}
                job = nomad_hcl.parse_job(body.get("JobHCL") or "", vs, "input.hcl")
            except nomad_hcl.HclError as e:
                raise ApiError(400, f"Failed to parse job: {e}") from None
            if body.get("Canonicalize"):
                job = canonicalize(job, ns)
            return self.send(200, job)
        if path == "/v1/validate/job":
            body = read_body(self, "ValidateRequest")
            job = canonicalize(body.get("Job") or {}, ns)
            errs = validate_job(job)
            return self.send(200, {"DriverConfigValidated": False, "ValidationErrors": errs,
                                   "Error": multierror(*errs) if errs else "", "Warnings": ""})
        if path.startswith("/v1/job/"):
            return self.route_job(method, unquote(path[len("/v1/job/"):]), q, ns)
        if path.startswith("/v1/allocation/"):
            return self.route_alloc(method, path[len("/v1/allocation/"):], q)
        if path == "/v1/allocations":
            return self.blocking(q, lambda: (200, [stub(a) for a in S.allocs.values()
                                                   if a["ID"].startswith(q.get("prefix", ""))],
                                             S.tables["allocs"]))
        if path.startswith("/v1/evaluation/"):
            rest = path[len("/v1/evaluation/"):]
            eid, _, sub = rest.partition("/")

            def get_eval():
                ev = S.evals.get(eid)
                if ev is None:
                    return 404, "eval not found", S.tables["evals"]
                if sub == "allocations":
                    return 200, [stub(a) for a in S.allocs.values() if a["EvalID"] == eid], S.tables["allocs"]
                return 200, ev, ev["ModifyIndex"]
            return self.blocking(q, get_eval)
        if path == "/v1/evaluations":
            return self.blocking(q, lambda: (200, sorted(S.evals.values(), key=lambda e: e["CreateIndex"]),
                                             S.tables["evals"]))
        if path == "/v1/nodes":
            return self.blocking(q, lambda: (200, [{k: n[k] for k in ("ID", "Name", "Datacenter", "Status",
                                                                     "NodePool", "CreateIndex", "ModifyIndex")}
                                                   for n in S.nodes.values()], S.tables["nodes"]))
        if path.startswith("/v1/client/fs/logs/"):
            aid = path[len("/v1/client/fs/logs/"):]
            a = S.allocs.get(aid)
            if a is None:
                raise ApiError(404, "alloc not found")
            p = os.path.join(S.data_dir, "alloc", aid, "alloc", "logs",
                             f"{q.get('task', '')}.{q.get('type', 'stderr')}.0")
            try:
                with open(p, "rb") as fh:
                    return self.send(200, fh.read().decode(errors="replace"), text=True)
            except OSError:
                raise ApiError(404, "log file not found") from None
        raise ApiError(404, "404 page not found")

    def route_job(self, method, rest, q, ns):
        for suffix in ("/dispatch", "/allocations", "/evaluations", "/summary"):
            if rest.endswith(suffix):
                jid, sub = rest[:-len(suffix)], suffix[1:]
                break
        else:
            jid, sub = rest, ""
        if sub == "dispatch":
            if method not in ("PUT", "POST"):
                raise ApiError(405, "Invalid method")
            body = read_body(self, "DispatchRequest")
            with S.cond:
                r = dispatch(jid, ns, body, q.get("idempotency_token"))
                return self.send(200, r, index=r["Index"])
        if sub == "" and method in ("PUT", "POST"):
            body = read_body(self, "RegisterRequest")
            with S.cond:
                r = register(body, q.get("namespace"), jid)
                return self.send(200, r, index=r["Index"])
        if sub == "" and method == "DELETE":
            with S.cond:
                return self.send(200, self.deregister(jid, ns, q.get("purge") == "true"), index=S.index)
        if method != "GET":
            raise ApiError(405, "Invalid method")

        def read():
            j = S.jobs.get((ns, jid))
            if sub == "allocations":
                allocs = [stub(a) for a in S.allocs.values() if a["JobID"] == jid and a["_ns"] == ns]
                allocs.sort(key=lambda a: a["CreateIndex"])
                idx = max([a["ModifyIndex"] for a in allocs], default=S.tables["allocs"]) if allocs \
                    else S.tables["allocs"]
                return 200, allocs, idx
            if j is None:
                return 404, "job not found", S.tables["jobs"]
            if sub == "evaluations":
                evs = sorted((e for e in S.evals.values() if e["JobID"] == jid), key=lambda e: e["CreateIndex"])
                return 200, evs, S.tables["evals"]
            if sub == "summary":
                return 200, summary(j), j["ModifyIndex"]
            return 200, public(j), j["ModifyIndex"]
        return self.blocking(q, read)

    def deregister(self, jid, ns, purge):
        j = S.jobs.get((ns, jid))
        if j is None:
            return {"EvalID": "", "EvalCreateIndex": 0, "JobModifyIndex": 0, "VolumeEvalID": "",
                    "VolumeEvalIndex": 0, "Index": 0}
        idx = S.bump("jobs")
        for a in S.allocs.values():
            if a["JobID"] == jid and a["_ns"] == ns and a["ClientStatus"] in ("pending", "running"):
                a["DesiredStatus"] = "stop"
                a["DesiredDescription"] = "alloc not needed due to job update"
                kill_alloc_process(a["ID"])
                for task in list(a["TaskStates"] or {}):
                    task_event(a, task, "Killing", "Sent interrupt")
                    task_event(a, task, "Killed", "Task successfully killed")["State"] = "dead"
                a["ClientStatus"], a["ClientDescription"] = "complete", "All tasks have completed"
                a["ModifyIndex"] = S.bump("allocs")
        if purge:
            PURGED.append(dict(job_stub(j, True), Status=job_status(j)))
            del S.jobs[(ns, jid)]
            archive_purged(jid, ns)
        else:
            j["Stop"], j["Status"], j["ModifyIndex"], j["JobModifyIndex"] = True, "dead", idx, idx
        eval_id = ""
        if j.get("ParameterizedJob") is None or j.get("Dispatched"):
            ev = new_eval(j, "job-deregister")
            ev["Status"] = "complete"
            eval_id = ev["ID"]
        return {"EvalID": eval_id, "EvalCreateIndex": S.index if eval_id else 0,
                "JobModifyIndex": idx, "VolumeEvalID": "", "VolumeEvalIndex": 0, "Index": S.index}

    def route_alloc(self, method, rest, q):
        aid, _, sub = rest.partition("/")
        if sub == "stop" and method in ("PUT", "POST"):
            with S.cond:
                a = S.allocs.get(aid)
                if a is None:
                    raise ApiError(404, "alloc not found")
                kill_alloc_process(aid)
                a["DesiredStatus"] = "stop"
                job = S.jobs.get((a["_ns"], a["JobID"]))
                ev = new_eval(job, "alloc-stop") if job else None
                return self.send(200, {"EvalID": ev["ID"] if ev else "", "Index": S.index}, index=S.index)
        if method != "GET" or sub:
            raise ApiError(405, "Invalid method")

        def read():
            a = S.allocs.get(aid)
            if a is None:
                return 404, "alloc not found", S.tables["allocs"]
            full = public(a)
            full["Job"] = public(S.jobs.get((a["_ns"], a["JobID"])) or {})
            # single allocs omit zero-valued keys (reference 1.1)
            return 200, {k: v for k, v in full.items() if v not in ("", 0, None, False)}, a["ModifyIndex"]
        return self.blocking(q, read)

    def blocking(self, q, fn):
        try:
            min_index = int(q.get("index", "0") or 0)
        except ValueError:
            raise ApiError(400, "Invalid index") from None
        wait = min(parse_duration_q(q["wait"]) if q.get("wait") else MAX_WAIT_S, MAX_WAIT_S)
        deadline = time.monotonic() + wait + random.uniform(0, wait / 16)
        with S.cond:
            while True:
                status, body, idx = fn()
                left = deadline - time.monotonic()
                if min_index == 0 or idx > min_index or left <= 0:
                    break
                S.cond.wait(min(left, 1.0))
        if status != 200:
            raise_status = ApiError(status, body)
            self.send(raise_status.status, raise_status.text, index=idx, text=True)
            return
        self.send(200, body, index=idx)


# ---- the event stream (reference 1.9) -------------------------------------------------------------

PURGED = []  # stubs of the purged jobs, as they were when purged: the tests count every child

ARCHIVED = {"allocs": {}, "evals": {}}  # a purged job's allocs and evals, waiting for a GC that never comes


def archive_purged(jid, ns):
    """a purged job's (terminal) allocs and evals leave the tables the scheduler and the reads scan, so
    that a run of thousands of children stays fast; /state still lists them, as Nomad keeps them until
    its GC"""
    for aid in [a["ID"] for a in S.allocs.values() if a["JobID"] == jid and a["_ns"] == ns and
                a["ClientStatus"] not in ("pending", "running", "unknown")]:
        ARCHIVED["allocs"][aid] = S.allocs.pop(aid)
    for eid in [e["ID"] for e in S.evals.values() if e["JobID"] == jid and e["Status"] not in ("pending", "blocked")]:
        ARCHIVED["evals"][eid] = S.evals.pop(eid)


STREAMS = {"heartbeat_s": 30.0, "enabled": True, "generation": 0, "open": 0}


def stream_keys(q_topics):
    """the Allocation keys asked for: None for all, else a set (alloc IDs or job IDs)"""
    keys = set()
    for t in q_topics:
        topic, _, key = t.partition(":")
        if topic not in ("Allocation", "*"):
            continue
        if key in ("", "*"):
            return None
        keys.add(key)
    return keys


def alloc_event(a):
    payload = public(a)
    return {"Topic": "Allocation", "Type": "AllocationUpdated" if a["ModifyIndex"] > a["CreateIndex"]
            else "PlanResult", "Key": a["ID"], "Namespace": a["Namespace"],
            "FilterKeys": [a["JobID"], ""], "Index": a["ModifyIndex"], "Payload": {"Allocation": payload}}


def event_stream(h, q, ns):
    """NDJSON frames on a hijacked connection (no Content-Length, no chunking, Connection: close):
    {} on connect and every heartbeat, then one frame per index with the allocations changed at it"""
    if not STREAMS["enabled"]:
        raise ApiError(404, "404 page not found")
    topics = parse_qs(urlsplit(h.path).query).get("topic", ["*"])
    keys = stream_keys(topics)
    try:
        sent = int(q.get("index", "0") or 0)
    except ValueError:
        raise ApiError(400, "Invalid index") from None
    with S.lock:
        if sent == 0:
            sent = S.index  # from now on; index= resumes after n
        gen = STREAMS["generation"]
        STREAMS["open"] += 1
    h.close_connection = True
    try:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b"{}\n")
        h.wfile.flush()
        beat = time.monotonic() + STREAMS["heartbeat_s"]
        while True:
            frames = []
            with S.cond:
                while not S.stopping and STREAMS["generation"] == gen and S.tables["allocs"] <= sent and \
                        time.monotonic() < beat:
                    S.cond.wait(min(beat - time.monotonic(), 1.0))
                if S.stopping or STREAMS["generation"] != gen:
                    return
                if S.tables["allocs"] > sent:
                    changed = sorted((a for a in S.allocs.values() if a["ModifyIndex"] > sent and
                                      (ns == "*" or a["_ns"] == ns) and
                                      (keys is None or a["ID"] in keys or a["JobID"] in keys)),
                                     key=lambda a: a["ModifyIndex"])
                    for a in changed:
                        if frames and frames[-1]["Index"] == a["ModifyIndex"]:
                            frames[-1]["Events"].append(alloc_event(a))
                        else:
                            frames.append({"Index": a["ModifyIndex"], "Events": [alloc_event(a)]})
                    sent = S.tables["allocs"]
            if frames:
                h.wfile.write("".join(json.dumps(f) + "\n" for f in frames).encode())
            elif time.monotonic() >= beat:
                h.wfile.write(b"{}\n")
            else:
                continue
            h.wfile.flush()
            beat = time.monotonic() + STREAMS["heartbeat_s"]
    except OSError:
        pass
    finally:
        with S.lock:
            STREAMS["open"] -= 1


def streams_control(p, body):
    if p == "/drop_streams":
        STREAMS["generation"] += 1
        S.cond.notify_all()
        return {"dropped": STREAMS["open"]}
    STREAMS["enabled"] = body.get("enabled", True)
    if not STREAMS["enabled"]:
        STREAMS["generation"] += 1
        S.cond.notify_all()
    return {"enabled": STREAMS["enabled"]}


ID_RE = re.compile(r"^(/v1/(?:job|allocation|evaluation|client/fs/logs))/[^?]*?(/(?:dispatch|allocations|"
                   r"evaluations|summary|stop))?$")


def request_counters():
    """API requests by endpoint, e.g. "GET /v1/job/:id/allocations?index": the blocking ones apart"""
    out = {}
    for r in S.requests:
        m = ID_RE.match(r["path"])
        ep = m.group(1) + "/:id" + (m.group(2) or "") if m else r["path"]
        key = f'{r["method"]} {ep}'
        if r["method"] == "GET" and int(r["query"].get("index", "0") or 0) > 0 and ep != "/v1/event/stream":
            key += "?index"
        if r["method"] == "DELETE" and r["query"].get("purge") == "true":
            key += "?purge"
        out[key] = out.get(key, 0) + 1
    return {"total": len(S.requests), "by_endpoint": out}
# ---- Variables and their locks (reference 1.11) ----------------------------------------------------

VAR_PATH = re.compile(r"^[A-Za-z0-9_~/-]{1,128}$")
LOCK_DEFAULT_NS = 15 * NS


def var_duration(v, what):
    """a Go duration string, or a JSON number taken as nanoseconds"""
    if v is None or v == "":
        return 0
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        try:
            return nomad_hcl.duration_ns(v)
        except Exception:  # noqa: BLE001 - any parse error is Go's "invalid duration"
            pass
    raise ApiError(400, f'time: invalid duration "{v}" in {what}')


def var_meta(v, with_lock=True):
    out = {k: v[k] for k in ("Namespace", "Path", "CreateIndex", "CreateTime", "ModifyIndex", "ModifyTime")}
    if with_lock and v.get("Lock"):
        lk = v["Lock"]
        out["Lock"] = {"TTL": f"{lk['TTL'] // NS}s", "LockDelay": f"{lk['LockDelay'] // NS}s", "ID": lk["ID"]}
    return out


def var_full(v):
    out = var_meta(v)
    if v.get("Items"):
        out["Items"] = dict(v["Items"])
    return out


def var_zero(ns, path):
    return {"Namespace": ns, "Path": path, "CreateIndex": 0, "CreateTime": 0, "ModifyIndex": 0,
            "ModifyTime": 0}


def var_write(ns, path, items, lock=None):
    """create or update the variable; every write moves the index"""
    idx = S.bump("vars")
    t = now_ns()
    v = S.vars.get((ns, path))
    if v is None:
        v = S.vars[(ns, path)] = {"Namespace": ns, "Path": path, "CreateIndex": idx, "CreateTime": t}
    v.update({"ModifyIndex": idx, "ModifyTime": t, "Items": dict(items or {})})
    if lock is not None:
        v["Lock"] = lock
    return v


def lock_timer_start(v):
    """the server's timer: 2 x TTL after the acquire or the last renew the lock expires (renewals
    fail, the lock stays); LockDelay later whatever lock the path holds is removed"""
    lk = v["Lock"]
    gen = v["_timer"] = v.get("_timer", 0) + 1
    key = (v["Namespace"], v["Path"])

    def remove():
        with S.cond:
            cur = S.vars.get(key)
            if cur is None or cur.get("_delay_gen") != gen:
                return
            cur.pop("_delay_gen", None)
            if cur.get("Lock"):
                cur.pop("Lock")
                idx = S.bump("vars")
                cur.update({"ModifyIndex": idx, "ModifyTime": now_ns()})

    def expire():
        with S.cond:
            cur = S.vars.get(key)
            if cur is None or cur.get("_timer") != gen or not cur.get("Lock"):
                return
            cur["Lock"]["_expired"] = True
            cur["_delay_gen"] = gen
            t = threading.Timer(cur["Lock"]["LockDelay"] / NS, remove)
            t.daemon = True
            t.start()

    t = threading.Timer(2 * lk["TTL"] / NS, expire)
    t.daemon = True
    t.start()


def var_body(handler):
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    if not raw.strip():
        raise ApiError(400, "Request body is empty")
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise ApiError(400, f"failed to parse request: {e}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "failed to parse request: not an object")
    return body


def var_lock_acquire(ns, path, body):
    lk = body.get("Lock") or {}
    ttl = var_duration(lk.get("TTL"), "TTL")
    delay = var_duration(lk.get("LockDelay"), "LockDelay")
    if ttl < 0 or delay < 0:
        raise ApiError(400, "RPC Error:: 400," + multierror("TTL and LockDelay can't be negative"))
    ttl = ttl or LOCK_DEFAULT_NS
    delay = delay or LOCK_DEFAULT_NS
    if ttl < 10 * NS or ttl > 86400 * NS:
        raise ApiError(400, "RPC Error:: 400," + multierror("TTL must be between 10 seconds and 24 hours"))
    v = S.vars.get((ns, path))
    if v is not None and v.get("Lock"):
        return 409, var_zero(ns, path), None
    lock = {"TTL": ttl, "LockDelay": delay, "ID": lk.get("ID") or str(uuid.uuid4())}
    v = var_write(ns, path, body.get("Items"), lock)
    lock_timer_start(v)
    return 200, var_full(v), 0


def var_lock_renew(ns, path, body):
    lid = (body.get("Lock") or {}).get("ID")
    if not lid:
        raise ApiError(500, multierror("missing lock ID"))
    v = S.vars.get((ns, path))
    if v is None:
        raise ApiError(404, "variable doesn't exist")
    if not v.get("Lock"):
        raise ApiError(409, "variable doesn't hold a lock")
    if v["Lock"]["ID"] != lid or v["Lock"].get("_expired"):
        raise ApiError(409, "attempting to modify locked variable")
    lock_timer_start(v)
    return 200, var_meta(v), None


def var_lock_release(ns, path, body):
    if body.get("Items"):
        raise ApiError(400, "RPC Error:: 400,release of a lock can't carry Items")
    lid = (body.get("Lock") or {}).get("ID")
    if not lid:
        raise ApiError(400, "RPC Error:: 400,missing lock information")
    v = S.vars.get((ns, path))
    if v is None:
        raise ApiError(500, "variable doesn't exist")
    if not v.get("Lock"):
        raise ApiError(500, "variable doesn't hold a lock")
    if v["Lock"]["ID"] != lid:
        return 409, var_zero(ns, path), None
    if not v["Lock"].get("_expired"):
        v["_timer"] = v.get("_timer", 0) + 1  # the TTL timer stops; a running delay does not
    v.pop("Lock")
    idx = S.bump("vars")
    v.update({"ModifyIndex": idx, "ModifyTime": now_ns()})
    return 200, var_full(v), 0


def route_var(h, method, path, q):
    if path == "/v1/vars":
        if method != "GET":
            raise ApiError(405, "Invalid method")
        prefix = q.get("prefix", "")
        ns = q.get("namespace") or "default"
        with S.lock:
            out = [var_meta(v) for k, v in sorted(S.vars.items())
                   if (ns == "*" or k[0] == ns) and k[1].startswith(prefix)]
        return h.send(200, out, index=S.tables.get("vars", 1))
    vpath = unquote(path[len("/v1/var/"):]) if path.startswith("/v1/var/") else ""
    if not vpath:
        raise ApiError(400, "missing variable path")
    ops = [o for o in ("lock-acquire", "lock-renew", "lock-release") if o in q]
    if len(ops) > 1:
        raise ApiError(400, "multiple lock operations")
    if ops and "cas" in q:
        raise ApiError(400, "CAS can't be used with lock operations")
    cas = None
    if "cas" in q:
        try:
            cas = int(q["cas"])
        except ValueError as e:
            raise ApiError(400, f"can not parse cas: {e}") from None
    qns = q.get("namespace") or "default"
    if method == "GET":
        def read():
            v = S.vars.get((qns, vpath))
            if v is None:
                return 404, "variable not found", S.tables.get("vars", 1)
            return 200, var_full(v), v["ModifyIndex"]
        return h.blocking(q, read)
    if method == "DELETE":
        with S.cond:
            v = S.vars.get((qns, vpath))
            if v is not None and v.get("Lock"):
                return h.send(409, var_meta(v, False))
            if cas is not None and (v["ModifyIndex"] if v else 0) != cas:
                return h.send(409, var_meta(v) if v else var_zero(qns, vpath))
            if v is not None:
                del S.vars[(qns, vpath)]
                S.bump("vars")
        h.send_response(204)
        h.send_header("Content-Length", "0")
        h.end_headers()
        return None
    if method not in ("PUT", "POST"):
        raise ApiError(400, "Invalid method")
    body = var_body(h)
    if not VAR_PATH.match(vpath) or (vpath.startswith("nomad/") and not vpath.startswith("nomad/jobs/")):
        raise ApiError(400, "RPC Error:: 400," + multierror(f'invalid path "{vpath}"'))
    # acquire and release read the body's Namespace first; renew only the query's
    bns = body.get("Namespace") or qns
    with S.cond:
        if ops:
            op = {"lock-acquire": var_lock_acquire, "lock-renew": var_lock_renew,
                  "lock-release": var_lock_release}[ops[0]]
            status, out, idx = op(qns if ops[0] == "lock-renew" else bns, vpath, body)
            return h.send(status, out, index=idx)
        if not isinstance(body.get("Items"), dict):
            raise ApiError(400, "variable missing required Items object")
        v = S.vars.get((bns, vpath))
        if v is not None and v.get("Lock") and (body.get("Lock") or {}).get("ID") != v["Lock"]["ID"]:
            return h.send(409, var_meta(v, False))
        if cas is not None and (v["ModifyIndex"] if v else 0) != cas:
            return h.send(409, var_full(v) if v else var_zero(bns, vpath))
        v = var_write(bns, vpath, body["Items"])
        return h.send(200, var_full(v), index=v["ModifyIndex"])


def state_vars():
    """the control API's view: every variable with its lock (a management token's view)"""
    return [dict(var_full(v), Expired=bool((v.get("Lock") or {}).get("_expired"))) for v in S.vars.values()]


# ---- the servers ----------------------------------------------------------------------------------

class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, tls):
        super().__init__(addr, Api)
        self.live = set()
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)


class Listener:
    """the API listener, closable for an outage (connections refused) and reopened after"""

    def __init__(self, port, tls):
        self.port, self.tls, self.srv, self.thread = port, tls, None, None
        self.open()

    def open(self):
        if self.srv is not None:
            return
        for _ in range(100):
            try:
                self.srv = ApiServer(("127.0.0.1", self.port), self.tls)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise OSError(f"cannot bind 127.0.0.1:{self.port}")
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def close(self):
        if self.srv is None:
            return
        self.srv.shutdown()
        self.srv.server_close()
        with S.lock:
            live = list(self.srv.live)
        for c in live:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.srv = None


LISTENER = None


class Control(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, obj_, status=200):
        data = json.dumps(obj_, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        with S.lock:
            if u.path == "/state":
                return self.reply({
                    "index": S.index, "up": LISTENER.srv is not None,
                    "jobs": [dict(job_stub(j, True), Submitted=j.get("_submitted")) for j in S.jobs.values()],
                    "allocs": [dict(stub(a), Held=a["ID"] in S.held)
                               for a in list(S.allocs.values()) + list(ARCHIVED["allocs"].values())],
                    "evals": list(S.evals.values()),
                    "nodes": [{k: n[k] for k in ("ID", "Name", "Status")} for n in S.nodes.values()],
                    "held": sorted(S.held), "running": sorted(S.procs), "purged": PURGED,
                    "vars": state_vars()})
            if u.path == "/counters":
                return self.reply(request_counters())
            if u.path == "/requests":
                since = int(q.get("since", 0))
                return self.reply([r for r in S.requests if r["seq"] > since])
            if u.path == "/job":
                j = S.jobs.get((q.get("namespace", "default"), q.get("id", "")))
                return self.reply({"Job": j.get("_submitted") if j else None})
        self.reply({"error": "unknown"}, 404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        p = urlsplit(self.path).path
        with S.cond:
            r = control_action(p, body)
        if r is None:
            return self.reply({"error": "unknown"}, 404)
        self.reply(r)


def control_action(p, body):
    if p == "/fault":
        f = {"kind": body.get("kind", "status"), "count": body.get("count", 1),
             "path": body.get("path", ""), "method": body.get("method", ""),
             "status": body.get("status", 500), "message": body.get("message", "No cluster leader"),
             "delay_s": body.get("delay_s", 5), "query": body.get("query", ""),
             "token": body.get("token", "")}
        S.faults.append(f)
        return {"ok": True}
    if p == "/clear_faults":
        S.faults = []
        return {"ok": True}
    if p == "/fail_allocs":
        S.fail_allocs += [{"mode": body.get("mode", "exit"), "exit_code": body.get("exit_code", 1),
                           "message": body.get("message", "")}] * body.get("count", 1)
        return {"ok": True}
    if p == "/hold":
        S.hold += body.get("count", 1)
        return {"ok": True}
    if p == "/release":
        S.released |= set(S.held)
        S.cond.notify_all()
        return {"released": sorted(S.released)}
    if p == "/node_down":
        node = None
        if body.get("alloc"):
            aid = body["alloc"]
            if aid == "held" and S.held:
                aid = sorted(S.held)[0]
            a = S.allocs.get(aid)
            node = S.nodes.get(a["NodeID"]) if a else None
        elif body.get("node"):
            node = next((n for n in S.nodes.values() if n["Name"] == body["node"]), None)
        if node is None:
            return {"error": "no such node or alloc"}
        node_down(node, body.get("for_s", 0))
        return {"node": node["Name"]}
    if p == "/node_up":
        node = next((n for n in S.nodes.values() if n["Name"] == body.get("node")), None)
        if node:
            node_up(node)
        return {"ok": node is not None}
    if p == "/outage":
        if body.get("down", True):
            LISTENER.close()
            if body.get("for_s"):
                threading.Timer(body["for_s"], LISTENER.open).start()
        else:
            LISTENER.open()
        return {"up": LISTENER.srv is not None}
    if p in ("/drop_streams", "/streams"):
        return streams_control(p, body)
    if p == "/gc":
        dead = [k for k, j in S.jobs.items() if j.get("Dispatched") and j["Status"] == "dead"]
        for k in dead:
            del S.jobs[k]
            for aid in [a["ID"] for a in S.allocs.values() if a["JobID"] == k[1]]:
                del S.allocs[aid]
        S.bump("jobs", "allocs")
        return {"collected": len(dead)}
    return None


def usage():
    return __doc__


def main():
    global S, LISTENER
    ap = argparse.ArgumentParser(description="a stand-in for Nomad's HTTP API (tests only)")
    ap.add_argument("--port", type=int, default=0, help="API port (0: any; printed)")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--data-dir", required=True, help="alloc dirs and logs")
    ap.add_argument("--region", default="global")
    ap.add_argument("--datacenter", default="dc1")
    ap.add_argument("--namespace", action="append", help="extra namespaces")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--node-cpu", type=int, default=4000)
    ap.add_argument("--node-memory", type=int, default=8192)
    ap.add_argument("--node-meta", action="append", help="K=V on every node")
    ap.add_argument("--host-volume", action="append", help="NAME=PATH on every node")
    ap.add_argument("--driver", action="append", help="drivers of the nodes (default raw_exec, exec, mock_driver)")
    ap.add_argument("--acl-token", action="append", help="SECRET[:write|read]; enables ACLs")
    ap.add_argument("--fail-allocs", type=int, default=0, help="the first N allocs exit 1")
    ap.add_argument("--hold", type=int, default=0, help="the first N allocs wait for /release")
    ap.add_argument("--fault", action="append", help="a JSON fault, as POST /fault takes")
    ap.add_argument("--outage", action="store_true", help="start with the API listener closed")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca", help="require client certificates from this CA")
    ap.add_argument("--node-gpus", type=int, default=0, help="nvidia/gpu devices on every node")
    ap.add_argument("--docker-shim", action="append",
                    help="IMAGE=COMMAND: the docker driver runs that image as this command")
    ap.add_argument("--event-heartbeat", type=float, default=30.0,
                    help="seconds between event stream heartbeats (Nomad: 30)")
    ap.add_argument("--no-event-stream", action="store_true",
                    help="answer /v1/event/stream with 404, as an agent without it")
    ap.add_argument("--ready-file", help="write 'PORT CONTROL_PORT' here once listening")
    args = ap.parse_args()
    os.makedirs(args.data_dir, exist_ok=True)
    S = State(args)
    add_gpus(args.node_gpus)
    for kv in args.docker_shim or []:
        image, _, command = kv.partition("=")
        DOCKER_SHIM[image] = command
    STREAMS["heartbeat_s"] = args.event_heartbeat
    STREAMS["enabled"] = not args.no_event_stream
    for f in args.fault or []:
        control_action("/fault", json.loads(f))
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            tls.verify_mode = ssl.CERT_REQUIRED
            tls.load_verify_locations(args.tls_client_ca)
    LISTENER = Listener(args.port, tls)
    ctl = ThreadingHTTPServer(("127.0.0.1", args.control_port), Control)
    ctl.daemon_threads = True
    threading.Thread(target=scheduler_loop, daemon=True).start()
    port, cport = LISTENER.port, ctl.server_address[1]
    if args.outage:
        LISTENER.close()
    if args.ready_file:
        with open(args.ready_file + ".tmp", "w") as f:
            f.write(f"{port} {cport}\n")
        os.rename(args.ready_file + ".tmp", args.ready_file)
    print(f"nomad-standin ready port={port} control={cport}", file=sys.stderr, flush=True)

    def stop(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    try:
        ctl.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    with S.cond:
        S.stopping = True
        for aid in list(S.procs):
            kill_alloc_process(aid)
        S.cond.notify_all()


if __name__ == "__main__":
    main()
