#!/usr/bin/env python3
"""sweep.py - the data work of scripts/bench, one subcommand per step.

  sweep.py features IPCLAB         "wait=0|1 interval=0|1 clients=0|1
                                   source=json|help"
  sweep.py meta ENV_JSON           meta.txt lines from `ipclab env --format json`
  sweep.py kinds PROBE_CSV         one line per transport of the probe run:
                                   "sized NAME ROWS FAMILY",
                                   "sizeless NAME ROWS FAMILY" or
                                   "hinted NAME ROWS FAMILY SIZE"
  sweep.py merge PART_CSV OUT_CSV  append PART's rows to OUT (one header),
                                   dropping "mode does not apply" rows
  sweep.py plan PLACEMENTS QUICK SECONDS < GROUPS
                                   meta.sweep of results.json: the groups
                                   ("TRANSPORTS|SIZES BYTES ITERATIONS
                                   WARMUP REPS TIMEOUT|MODE [INTERVAL]",
                                   MODE "servers CLIENTS" for the server
                                   family, "all OPTION..." for a group
                                   with options of its own)
  sweep.py failed CSV              exit 1 when a row failed, else 0
  sweep.py json CSV ENV_JSON COMMAND SWEEP_JSON
                                   results.json on stdout

Bad input: one line on stderr, exit status 2.
"""

import csv
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import ipclab_results as R  # noqa: E402

PROG = "bench"


def features_line(f):
    return (f"wait={int(f['wait'])} interval={int(f['interval'])} "
            f"clients={int(f.get('clients', False))} "
            f"max_time={int(f.get('max_time', False))} source={f['source']}")


def meta_lines(env):
    """The machine lines of meta.txt from the env object."""
    kernel = str(env.get("kernel", "")).split()
    rev = env.get("git_revision", "")
    pairs = [("host", env.get("hostname", "")),
             ("kernel", kernel[1] if len(kernel) > 1 else (kernel[0] if kernel else "")),
             ("cpu", env.get("cpu_model", "")), ("cores", env.get("cores", "")),
             ("machine", env.get("machine", "")),
             ("ipclab", f"{env.get('ipclab_version', '')} (git {rev})"),
             ("clock_res_ns", env.get("clock_res_ns", "")),
             ("clock_read_ns", env.get("clock_read_ns", ""))]
    return [f"{k}={'' if v is None else v}" for k, v in pairs]


_HINT = re.compile(r"--size ([0-9]+[KMG]?)")


def kinds(rows):
    """Each transport of a probe run, in order: (kind, name, rows, family,
    hinted size or "")."""
    order, info = [], {}
    for r in rows:
        t = r["transport"]
        if t not in info:
            order.append(t)
            info[t] = {"rows": 0, "sizeless": 0, "family": r["family"], "hint": "",
                       "usable": False}
        i = info[t]
        i["rows"] += 1
        if not r["size_bytes"]:
            i["sizeless"] += 1
        m = _HINT.search(R.reason(r) or R.get(r, "note")) if r["status"] == "n/a" else None
        if m:
            i["hint"] = m.group(1)
        elif r["status"] != "n/a":
            i["usable"] = True
    out = []
    for t in order:
        i = info[t]
        if i["sizeless"] == i["rows"]:
            out.append(("sizeless", t, i["rows"], i["family"], ""))
        elif i["hint"] and not i["usable"]:
            out.append(("hinted", t, i["rows"], i["family"], i["hint"]))
        else:
            out.append(("sized", t, i["rows"], i["family"], ""))
    return out


def not_applicable_mode(row):
    """A row saying the mode does not apply to the transport."""
    if row["status"] != "n/a":
        return False
    if R.get(row, "status_code"):
        return row["status_code"] == "mode_not_applicable"
    return "mode does not apply" in (R.reason(row) or R.get(row, "note"))


def merge(part, out, flags=""):
    """Append the rows of CSV file `part` to `out` (writing the header when
    `out` is empty), without the rows whose mode does not apply.  Every row
    gets a last column `flags` (the guard's "unsteady", or empty) unless
    ipclab already wrote one, which then gets `flags` added."""
    with open(part, encoding="utf-8", newline="") as fp:
        text = fp.read()
    if not text.strip():
        return 0
    header, rows = R.parse_csv(text, part)
    keep = {r["_line"] for r in rows if not not_applicable_mode(r)}
    fresh = not os.path.exists(out) or os.path.getsize(out) == 0
    at = header.index("flags") if "flags" in header else None
    with open(out, "a", encoding="utf-8", newline="") as fp:
        w = csv.writer(fp, lineterminator="\n")
        if fresh:
            w.writerow(header if at is not None else header + ["flags"])
        reader = csv.reader(text.splitlines())
        next(reader)
        for fields in reader:
            if reader.line_num not in keep:
                continue
            if at is None:
                fields.append(flags)
            elif flags:
                fields[at] = ";".join(x for x in (fields[at], flags) if x)
            w.writerow(fields)
    return len(keep)


# ---- the guard against an unsteady machine ------------------------------

GUARD_TOLERANCE = 0.25          # a calibration figure moved by more: unsteady


def calibration(path, index):
    """"CACHELINE_NS XCORE_MBS" from the calibration run's CSV (cacheline
    round trip p50 at 64 B, xcore throughput at 64 KiB, two CPUs).  The
    test hook IPCLAB_GUARD_DRIFT=F0,F1,... replaces what calibration i
    measured by 1000 x Fi (Fi missing: 1), so a test can make the machine
    drift exactly when it wants, whatever the real machine does."""
    _, rows = R.read_csv(path)
    lat = [R.get(r, "rtt_p50_ns") for r in rows if r["transport"] == "cacheline"
           and r["status"] == "ok"]
    bw = [R.get(r, "mb_per_s") for r in rows if r["transport"] == "xcore"
          and r["status"] == "ok" and r["mode"] == "throughput"]
    if not lat or not bw or lat[0] is None or bw[0] is None:
        raise R.DataError(f"{path}: no ok cacheline and xcore rows")
    drift = os.environ.get("IPCLAB_GUARD_DRIFT", "")
    if drift:
        f = drift.split(",")
        k = float(f[int(index)]) if int(index) < len(f) and f[int(index)] else 1.0
        return f"{1000 * k:.6g} {1000 * k:.6g}"
    return f"{lat[0]:.6g} {bw[0]:.6g}"


def moved(before, after):
    """Did any calibration figure move by more than GUARD_TOLERANCE?"""
    a = [float(x) for x in before.split()]
    b = [float(x) for x in after.split()]
    return any(x > 0 and abs(y - x) / x > GUARD_TOLERANCE for x, y in zip(a, b))


def dump_results(doc):
    """results.json text: one meta member per line, one row per line."""
    def j(x):
        return json.dumps(x, ensure_ascii=False)
    meta = ",\n".join(f"    {j(k)}: {j(v)}" for k, v in doc["meta"].items())
    rows = ",\n".join(f"    {j(r)}" for r in doc["rows"])
    return f'{{\n  "meta": {{\n{meta}\n  }},\n  "rows": [\n{rows}\n  ]\n}}\n'


def plan(lines, placements, quick, seconds):
    """The sweep's plan as the object results.json carries."""
    groups = []
    for line in lines:
        f = line.rstrip("\n").split("|")
        if len(f) != 3:
            continue
        p, m = f[1].split(), f[2].split()
        if len(p) != 6 or not m:
            raise ValueError(f"not a group: {line.strip()}")
        g = {"mode": m[0]}
        if m[0] == "all" and len(m) > 1:    # "all OPTION...": --timer-us N
            g["options"] = " ".join(m[1:])
        elif len(m) > 1:        # "paced INTERVAL", "servers CLIENTS WORKLOAD"
            g["clients" if m[0] == "servers" else "interval"] = m[1]
        if m[0] == "servers" and len(m) > 2:
            g["workload"] = m[2]
        g.update(transports=f[0], sizes=p[0], bytes=None if p[1] == "-" else p[1],
                 iterations=int(p[2]), warmup=int(p[3]), reps=int(p[4]),
                 timeout_s=int(p[5]))
        groups.append(g)
    return {"quick": quick == "1", "placements": placements, "seconds": int(seconds),
            "groups": groups}


def main(argv):
    if not argv:
        print(f"{PROG}: sweep.py: no subcommand", file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "features" and len(args) == 1:
            print(features_line(R.features(args[0])))
        elif cmd == "meta" and len(args) == 1:
            with open(args[0], encoding="utf-8") as fp:
                env = json.load(fp)
            env = env.get("meta", env) if isinstance(env, dict) else {}
            print("\n".join(meta_lines(env)))
        elif cmd == "kinds" and len(args) == 1:
            _, rows = R.read_csv(args[0])
            for k in kinds(rows):
                print(" ".join(str(x) for x in k if x != ""))
        elif cmd == "merge" and len(args) in (2, 3):
            merge(*args)
        elif cmd == "calibration" and len(args) == 2:
            print(calibration(args[0], args[1]))
        elif cmd == "moved" and len(args) == 2:
            return 0 if moved(args[0], args[1]) else 1
        elif cmd == "plan" and len(args) == 3:
            print(json.dumps(plan(sys.stdin, *args)))
        elif cmd == "failed" and len(args) == 1:
            _, rows = R.read_csv(args[0])
            return 1 if any(r["status"] == "failed" for r in rows) else 0
        elif cmd == "json" and len(args) == 4:
            header, rows = R.read_csv(args[0])
            env = {}
            if args[1]:
                try:
                    with open(args[1], encoding="utf-8") as fp:
                        env = json.load(fp)
                except (OSError, ValueError):
                    env = {}
            if isinstance(env, dict) and isinstance(env.get("meta"), dict):
                env = env["meta"]
            sweep = json.loads(args[3]) if args[3] else None
            doc = R.results_json(header, rows, env, args[2], sweep)
            sys.stdout.write(dump_results(doc))
        else:
            print(f"{PROG}: sweep.py: bad usage: {' '.join(argv)}", file=sys.stderr)
            return 2
    except R.DataError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"{PROG}: sweep.py {cmd}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
