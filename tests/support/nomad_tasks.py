#!/usr/bin/python3
"""nomad_tasks.py - N ready processing tasks in STORAGE/tasks/, for tests/integration/test_nomad_purge and
bench/nomad: each one a command module that copies its input to its output and no target, the lightest
task a worker runs to success, so that what is measured is the scheduling around it.

usage: nomad_tasks.py STORAGE N [--first K]
"""

import argparse
import json
import os


COPY = ["/bin/sh", "-c", 'cp "$MERCURE_IN_DIR"/* "$MERCURE_OUT_DIR"/']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("storage")
    ap.add_argument("n", type=int)
    ap.add_argument("--first", type=int, default=0, help="number of the first task")
    a = ap.parse_args()
    for i in range(a.first, a.first + a.n):
        tid = f"{i:08x}-0000-11f1-8000-02fc00000001"
        d = os.path.join(a.storage, "tasks", tid)
        os.makedirs(os.path.join(d, "in"), exist_ok=True)
        with open(os.path.join(d, "in", "1.2.3#1.dcm"), "w") as f:
            f.write("x")
        task = {"id": tid, "info": {"action": "process", "uid": "1.2.3", "uid_type": "series"},
                "dispatch": {"target_name": [], "status": {}},
                "process": {"module_name": "m", "settings": {}, "retain_input_images": False},
                "mercure_c": {"kind": "process", "targets": {}, "modules": {"m": {"command": COPY}}}}
        with open(os.path.join(d, "task.json.tmp"), "w") as f:
            json.dump(task, f)
        os.rename(os.path.join(d, "task.json.tmp"), os.path.join(d, "task.json"))


if __name__ == "__main__":
    main()
