"""ipclab_results - read what ipclab writes, and the rules for showing it.

Shared by scripts/report, scripts/compare, scripts/plots and scripts/bench
(through scripts/lib/sweep.py).  Standard library only.  Functions take data
and return data; nothing here prints or exits: bad input raises DataError
with a one-line message that names the file.

The data contract:
  * results.csv, the harness's CSV.  Columns are found by name in the header,
    so a column added later breaks nothing and a column missing reads as
    empty.  Schema 1 has one `note` column that carries both the reason of a
    failed/n/a row and a remark; schema 2 adds `reason` (why failed or n/a),
    keeps `note` for the remark, and appends `status_code`, `interval_ns`,
    `ring_bytes`, `records_per_msg`, `wait` and `copies`.  reason(), remark()
    and interval_ns() read either.
  * results.json: {"meta": {...}, "rows": [...]}, `meta.schema` from 2 on.
  * meta.txt: KEY=value lines written by scripts/bench.
"""

import csv
import json
import math
import os
import re
import subprocess

# The columns without which a file is not an ipclab results CSV.
REQUIRED = ("transport", "family", "mode", "size_bytes", "placement", "status")
# Columns read as numbers (when present): anything else is text.
NUMERIC = (
    "size_bytes", "cpu_producer", "cpu_consumer", "reps", "median", "min",
    "max", "cv_pct", "mb_per_s", "msgs_per_s", "rtt_min_ns", "rtt_p50_ns",
    "rtt_p90_ns", "rtt_p99_ns", "rtt_p999_ns", "rtt_max_ns", "rtt_mean_ns",
    "rtt_stddev_ns", "one_way_p50_ns", "cpu_ns_per_msg", "cpu_ms_per_mb",
    "messages", "bytes", "lost", "duplicated", "reordered", "interval_ns",
    "ring_bytes", "records_per_msg", "copies",
    "clients", "consumer_cpu_ns_per_msg",
) + tuple(f"{c}_per_msg_{side}" for c in (
    "vcsw", "ivcsw", "minflt", "majflt", "ctxsw", "migrations", "faults",
    "syscalls", "cycles", "instructions", "cache_misses")
    for side in ("producer", "consumer")) + (
    "syscalls_send_declared", "syscalls_recv_declared", "ci_low", "ci_high",
    "errors_refused", "errors_reset", "errors_timeout")
MODES = ("throughput", "latency", "paced")
STATUSES = ("ok", "failed", "n/a")
# Rows and JSON keys that stay strings even when they look like numbers.
TEXT_COLUMNS = ("transport", "family", "mode", "placement", "status",
                "metric", "verified", "note", "reason", "status_code", "wait")


class DataError(Exception):
    """Input that is not what ipclab writes: one line, naming the file."""


# ---- results.csv ----------------------------------------------------------

def _number(text):
    """A CSV field as a float; None for empty, nan and inf; ValueError else."""
    t = text.strip()
    if t == "" or t.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return None
    return float(t)


def parse_csv(text, name="results.csv"):
    """The rows of an ipclab results CSV given as text: (header, rows).

    Each row is a dict column -> value: numbers (NUMERIC columns) as float
    or None, the rest as str ("" = does not apply).  Every row also has
    "_line", its line number.  Raises DataError on anything malformed."""
    lines = text.splitlines()
    if not text.strip():
        raise DataError(f"{name}: empty file, expected an ipclab results CSV")
    if lines[0].strip() == "":
        raise DataError(f"{name}: line 1: empty, expected the header row "
                        "(transport,family,...)")
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except csv.Error:
        raise DataError(f"{name}: line 1: unterminated quote in the header "
                        "row") from None
    header = [h.strip() for h in header]
    for col in REQUIRED:
        if col not in header:
            raise DataError(f"{name}: line 1: not an ipclab results header: "
                            f"no column \"{col}\"")
    rows = []
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise DataError(f"{name}: line {reader.line_num}: unterminated "
                            "quote") from None
        line = reader.line_num
        if not fields or all(f.strip() == "" for f in fields) and len(fields) <= 1:
            continue
        if len(fields) != len(header):
            raise DataError(f"{name}: line {line}: {len(fields)} fields, the "
                            f"header has {len(header)}")
        row = {"_line": line}
        for col, value in zip(header, fields):
            if col in NUMERIC:
                try:
                    row[col] = _number(value)
                except ValueError:
                    raise DataError(f"{name}: line {line}: column {col} is "
                                    f"\"{value}\", not a number") from None
            else:
                row[col] = value
        _check_row(row, name, line)
        rows.append(row)
    if not rows:
        raise DataError(f"{name}: no data rows after the header")
    return header, rows


def _check_row(row, name, line):
    if row["transport"] == "":
        raise DataError(f"{name}: line {line}: empty transport name")
    if row["mode"] not in MODES:
        raise DataError(f"{name}: line {line}: mode is \"{row['mode']}\", "
                        "expected throughput, latency or paced")
    if row["status"] not in STATUSES:
        raise DataError(f"{name}: line {line}: status is \"{row['status']}\""
                        ", expected ok, failed or n/a")


def read_csv(path):
    """parse_csv() of a file; DataError when it cannot be read."""
    try:
        with open(path, encoding="utf-8", newline="") as fp:
            text = fp.read()
    except OSError as e:
        raise DataError(f"{path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    return parse_csv(text, path)


def results_csv_path(arg):
    """A results directory or a CSV file given on a command line: the CSV."""
    if os.path.isdir(arg):
        return os.path.join(arg, "results.csv")
    return arg


def get(row, col):
    """A field, None (numbers) or "" (text) when the column is missing."""
    if col in row:
        return row[col]
    return None if col in NUMERIC else ""


# ---- what the fields mean -------------------------------------------------

# ---- the server family: one server, many clients ----------------------------

def is_server(row):
    """A server-family row: a count of clients (schema 2 `clients`)."""
    c = row.get("clients")
    return c is not None and c != "" and c > 0


def is_experiment(row):
    """A lesson's experiment or a server row, not a channel to choose: its
    transport declares no syscalls per message (TP_SYSCALLS_NOT_A_CHANNEL:
    the `syscalls_send_declared` cell is empty).  Files without the
    column (older runs) have no experiments."""
    return ("syscalls_send_declared" in row and row["syscalls_send_declared"] is None
            and row.get("family") != "limit")


def split_servers(rows):
    """(the rows of one producer and one consumer, the server rows)."""
    return ([r for r in rows if not is_server(r)],
            [r for r in rows if is_server(r)])


def server_model(row):
    """server/epoll/tcp -> ("epoll", "tcp")."""
    parts = row["transport"].split("/")
    if len(parts) >= 3:
        return "/".join(parts[1:-1]), parts[-1]
    return row["transport"], ""


def workload(row):
    """keep-alive or connect-per-request, and closed or open loop: from the
    `workload`/`loop` columns when ipclab writes them, else the remark."""
    w = row.get("workload") or ""
    note = row.get("note") or ""
    if not w:
        w = "connect" if "connect" in note and "keep-alive" not in note else "keepalive"
    loop = row.get("loop") or ("open" if "open loop" in note else "closed")
    return w, loop


# ---- fewer copies: each zero-copy form beside its copying twin ---------------

# (the copying transport, the form that copies less, what the pair shows).
# A pair is drawn and reported when both were measured; names that a build
# does not have are simply absent.
COPY_PAIRS = (
    ("pipe", "vmsplice", "pipe: write vs vmsplice (pages lent)"),
    ("sg/pipe/copy", "sg/pipe/writev", "pipe: copy into one buffer vs writev"),
    ("sg/unix/copy", "sg/unix/writev", "Unix stream: copy into one buffer vs writev"),
    ("sg/tcp/copy", "sg/tcp/writev", "TCP: copy into one buffer vs writev"),
    ("posix_shm/futex", "memfd/pool", "shared memory: ring copy vs memfd handover"),
    ("posix_shm/futex", "cma/writev", "shared memory: ring copy vs process_vm_writev"),
    ("unix/stream", "cma/writev", "Unix stream vs process_vm_writev (one copy)"),
    ("file/tcp/rw", "file/tcp/sendfile", "file to TCP: read+write vs sendfile"),
    ("file/tcp/rw", "file/tcp/splice", "file to TCP: read+write vs splice"),
    ("file/tcp/rw", "file/tcp/mmap", "file to TCP: read+write vs mmap+write"),
    ("file/unix/rw", "file/unix/sendfile", "file to Unix: read+write vs sendfile"),
    ("file/unix/rw", "file/unix/splice", "file to Unix: read+write vs splice"),
    ("tcp", "zerocopy/tcp", "TCP: send vs MSG_ZEROCOPY"),
    ("pipe", "uring/pipe", "pipe: read/write vs io_uring"),
    ("unix/stream", "uring/unix", "Unix stream: read/write vs io_uring"),
    ("relay/tcp/rw", "relay/tcp/splice", "TCP through a relay: read+write vs splice"),
    ("relay/unix/rw", "relay/unix/splice", "Unix stream through a relay: read+write vs splice"),
    ("tee/write-twice", "tee/tee", "one stream to two consumers: write twice vs tee"),
)


def copy_pairs(names):
    """The COPY_PAIRS whose two transports are both among `names`."""
    have = set(names)
    return [p for p in COPY_PAIRS if p[0] in have and p[1] in have]


def reason(row):
    """Why a row failed or did not apply ("" for ok rows)."""
    if row["status"] == "ok":
        return ""
    if get(row, "reason"):
        return row["reason"]
    return get(row, "note") if "reason" not in row else ""


def remark(row):
    """The transport's remark on a row (schema 1: the note of an ok row)."""
    if "reason" in row or row["status"] == "ok":
        return get(row, "note")
    return ""


_EVERY = re.compile(r"^paced: one round trip every ([0-9]+) (ns|us|µs|ms|s)"
                    r"(?=[;,. ]|$)")
_UNIT_NS = {"ns": 1, "us": 1000, "µs": 1000, "ms": 1e6, "s": 1e9}


def interval_ns(row):
    """The pace of a paced row in ns: the interval_ns column when there is
    one, else the interval its note starts with; None for other rows."""
    if row["mode"] != "paced":
        return None
    v = get(row, "interval_ns")
    if v is not None and v > 0:
        return v
    m = _EVERY.match(get(row, "note"))
    if not m:
        return None
    return int(m.group(1)) * _UNIT_NS[m.group(2)]


def paced_remark(row):
    """A paced row's remark without the "paced: one round trip every N"
    prefix the section heading already gives."""
    s = remark(row) if row["status"] == "ok" else reason(row)
    m = _EVERY.match(s)
    if m:
        s = s[m.end():].lstrip(";,. ")
    return s


# The figure a row is ranked by, and which way is better.
def figure(row):
    """(value, higher_is_better) of a row's main figure; value None when
    the row has none."""
    if row["mode"] == "throughput":
        v = get(row, "mb_per_s")
        if v is None:
            v = get(row, "msgs_per_s")
        return v, True
    return get(row, "rtt_p50_ns"), False


# ---- statistics with their limits -------------------------------------------

# A percentile p is shown only when a run has at least 10 samples beyond it:
# 10 / (1 - p) round trips per run.  p50 needs 20, p90 100, p99 1 000,
# p99.9 10 000; below that the cell is empty (the figure would be one of the
# few largest samples: noise, not a percentile).
PERCENTILES = (("rtt_p50_ns", 0.50), ("rtt_p90_ns", 0.90),
               ("rtt_p99_ns", 0.99), ("rtt_p999_ns", 0.999))
TAIL_SAMPLES = 10


def samples_needed(p):
    """Round trips per run needed before percentile p (0..1) is shown."""
    return int(math.ceil(TAIL_SAMPLES / (1.0 - p) - 1e-9))


def percentile(row, col):
    """A latency percentile of a row, None when the row's runs had too few
    samples for it (rule above) or it is missing."""
    v = get(row, col)
    if v is None:
        return None
    p = dict(PERCENTILES).get(col)
    n = get(row, "messages")
    if p is not None and n is not None and n < samples_needed(p):
        return None
    return v


def cv_pct(row):
    """The coefficient of variation across reps; None with fewer than two
    reps (one run has no spread, which is not the same as 0)."""
    reps = get(row, "reps")
    if reps is not None and reps < 2:
        return None
    return get(row, "cv_pct")


# Transports whose round trip is not one message there and one back of the
# same kind: fork + exit + SIGCHLD + reap, and N signals counted on arrival.
_NOT_SYMMETRIC = re.compile(r"^(sigchld|coalesce)(/|$)")


def one_way_applies(row):
    """True where half the round trip is a one-way latency: a round trip
    made of two symmetric one-way trips (ping and echo the same way)."""
    if row["mode"] not in ("latency", "paced"):
        return False
    return not _NOT_SYMMETRIC.match(row["transport"])


def one_way_ns(row):
    """One-way latency (RTT p50 / 2) where it applies, else None."""
    if not one_way_applies(row):
        return None
    v = percentile(row, "rtt_p50_ns")
    return None if v is None else v / 2


def spread(row):
    """A row's own noise: (max - min) / median across its reps, cv_pct / 100
    when min or max is missing, 0 when nothing says."""
    m = get(row, "median")
    lo, hi = get(row, "min"), get(row, "max")
    if m and m > 0 and lo is not None and hi is not None:
        return (hi - lo) / m
    cv = cv_pct(row)
    return cv / 100 if cv is not None else 0.0


# ---- labels -------------------------------------------------------------------

def size_label(b, short=False):
    """4096 -> "4 KiB" ("4K" with short); "-" for 0 / None."""
    if not b:
        return "-"
    b = int(b)
    if b >= 1 << 20 and b % (1 << 20) == 0:
        return f"{b >> 20}M" if short else f"{b >> 20} MiB"
    if b >= 1024 and b % 1024 == 0:
        return f"{b >> 10}K" if short else f"{b >> 10} KiB"
    return f"{b}" if short else f"{b} B"


def fmt_ns(x):
    """ns for people: "420 ns", "33.1 µs", "1.5 ms", "2.1 s"; "" for None."""
    if x is None:
        return ""
    if x < 1000:
        return f"{x:.0f} ns"
    if x < 1e6:
        return f"{_g3(x / 1e3)} µs"
    if x < 1e9:
        return f"{_g3(x / 1e6)} ms"
    return f"{_g3(x / 1e9)} s"


def _g3(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.3g}"


def fmt_mb(x):
    return "" if x is None else f"{_g3(x)} MB/s"


def fmt_times(x):
    """A ratio as "170×", "2.5×", "1.13×"."""
    if x >= 100:
        return f"{x:.0f}×"
    if x >= 10:
        return f"{x:.0f}×"
    return f"{x:.2g}×" if x >= 1.5 else f"{x:.2f}×"


def interval_label(ns):
    """100000 -> "100 µs"."""
    if ns is None:
        return ""
    for unit, f in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= f and ns % f == 0:
            return f"{ns / f:.0f} {unit}"
    return fmt_ns(ns)


def place_label(pl):
    return {"spread": "two CPUs", "same": "one CPU",
            "os": "not pinned"}.get(pl, pl)


# ---- meta -----------------------------------------------------------------

def read_meta(run_dir):
    """meta.txt as an ordered dict, overlaid with what results.json's meta
    says when meta.txt lacks it.  Missing files give an empty dict."""
    meta = {}
    try:
        with open(os.path.join(run_dir, "meta.txt"), encoding="utf-8") as fp:
            for line in fp:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep and k:
                    meta[k] = v
    except OSError:
        pass
    try:
        with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as fp:
            j = json.load(fp).get("meta", {})
    except (OSError, ValueError, AttributeError):
        j = {}
    if isinstance(j, dict):
        pairs = (("host", "hostname"), ("cpu", "cpu_model"),
                 ("cores", "cores"), ("machine", "machine"))
        for k, jk in pairs:
            if k not in meta and j.get(jk) not in (None, ""):
                meta[k] = str(j[jk])
        if "kernel" not in meta and j.get("kernel"):
            parts = str(j["kernel"]).split()
            meta["kernel"] = parts[1] if len(parts) > 1 else parts[0]
        if "ipclab" not in meta and j.get("ipclab_version"):
            meta["ipclab"] = f"{j['ipclab_version']} (git {j.get('git_revision', '?')})"
        if "date" not in meta and j.get("date"):
            meta["date"] = str(j["date"])
        if "schema" in j:
            meta.setdefault("schema", str(j["schema"]))
        sweep = j.get("sweep")
        if "sweep" not in meta and isinstance(sweep, dict) and "quick" in sweep:
            meta["sweep"] = "quick" if sweep["quick"] else "full"
    return meta


def subtitle(meta):
    """The second line of a chart title: what is known of the machine, and
    saying so when nothing is."""
    parts = []
    if meta.get("host"):
        parts.append(meta["host"])
    if meta.get("kernel"):
        parts.append("Linux " + meta["kernel"])
    if meta.get("date"):
        parts.append(meta["date"])
    if not parts:
        return "machine and date not recorded (no meta.txt)"
    return ", ".join(parts)


# ---- results.json -------------------------------------------------------------

def results_json(header, rows, env=None, command="", sweep=None, schema=None):
    """The results.json document: {"meta": env + command + sweep, "rows"}.
    Row keys are the CSV columns in CSV order; empty fields are null."""
    meta = dict(env or {})
    if schema is not None and "schema" not in meta:
        meta["schema"] = schema
    meta["command"] = command
    if sweep is not None:
        meta["sweep"] = sweep
    out = []
    for r in rows:
        o = {}
        for c in header:
            v = r.get(c)
            if v is None or v == "":
                o[c] = None
            elif c in NUMERIC:
                o[c] = int(v) if float(v).is_integer() and abs(v) < 2**53 and \
                    c in ("size_bytes", "cpu_producer", "cpu_consumer", "reps",
                          "messages", "bytes", "lost", "duplicated",
                          "reordered", "interval_ns", "ring_bytes",
                          "records_per_msg", "copies") else v
            else:
                o[c] = v
        out.append(o)
    return {"meta": meta, "rows": out}


# ---- what an ipclab binary offers -------------------------------------------

def _run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                           check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None, ""
    return p.returncode, p.stdout + p.stderr


def parse_list_json(text):
    """`ipclab list --format json` (schema 2): transports and their options.
    Accepts {"transports": [...]} or a bare list; each transport a dict with
    at least "name"."""
    doc = json.loads(text)
    items = doc.get("transports", []) if isinstance(doc, dict) else doc
    out = []
    for t in items:
        if not isinstance(t, dict) or not t.get("name"):
            continue
        opts = t.get("options") or []
        names = []
        for o in opts:
            n = o.get("name") if isinstance(o, dict) else o
            if n:
                names.append(str(n).lstrip("-"))
        caps = t.get("caps") or []
        if isinstance(caps, str):
            caps = [c for c in caps.split(",") if c]
        out.append({"name": t["name"], "family": t.get("family", ""),
                    "caps": list(caps), "modes": list(t.get("modes") or []),
                    "options": names})
    return out


def parse_list_text(text):
    """`ipclab list` (the table): name, family, caps."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 3:
            caps = [] if f[2] == "-" else f[2].split(",")
            out.append({"name": f[0], "family": f[1], "caps": caps,
                        "modes": [], "options": []})
    return out


def features(ipclab):
    """What the ipclab program at path `ipclab` offers, found in one place:
    {"transports": [...], "wait": bool, "interval": bool, "source": "json"
    or "help"}.  `list --format json` when the program has it, else the
    list table and `run --help` (what older builds offer); run options
    that are not a transport's (--max-time) from `run --help`."""
    _, helptext = _run([ipclab, "run", "--help"])
    helptext = helptext or ""
    rc, out = _run([ipclab, "list", "--format", "json"])
    if rc == 0:
        try:
            tps = parse_list_json(out)
        except (ValueError, AttributeError):
            tps = None
        if tps:
            opts = {o for t in tps for o in t["options"]}
            modes = {m for t in tps for m in t["modes"]}
            return {"transports": tps, "wait": "wait" in opts,
                    "interval": "paced" in modes or "interval" in opts,
                    "clients": "clients" in opts,
                    "max_time": "--max-time" in helptext, "source": "json"}
    _, listing = _run([ipclab, "list"])
    return {"transports": parse_list_text(listing or ""),
            "wait": "--wait LIST" in helptext,
            "interval": "--interval" in helptext,
            "clients": "--clients LIST" in helptext,
            "max_time": "--max-time" in helptext, "source": "help"}


# ---- command lines ----------------------------------------------------------

import argparse  # noqa: E402


class Parser(argparse.ArgumentParser):
    """argparse with the house rule for bad usage: one line on stderr,
    "PROG: what is wrong (see --help)", exit status 2."""

    def __init__(self, prog, **kw):
        # Installed, a script runs as ipclab-NAME (a link); in the tree as
        # scripts/NAME: the usage line names what the user typed.
        import sys
        invoked = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        if invoked.startswith("ipclab-"):
            prog = invoked
        super().__init__(prog=prog, **kw)

    def error(self, message):
        self.exit(2, f"{self.prog.split('/')[-1]}: {message} (see --help)\n")


# The look of each transport in the charts (colour, marker, panel) is in
# ipclab_styles.py; its names stay reachable here for older callers.
from ipclab_styles import (panel_of, panel_order, style_map,  # noqa: E402,F401
                           transport_style, use_styles_for)
