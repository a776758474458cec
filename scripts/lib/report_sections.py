"""report_sections - sections of scripts/report that each read alone: the
size classes the verdict and the advice speak of; what is particular to each
transport; the lessons (what this machine showed); the advice of `ipclab
advise`; one server, many clients; how steady the machine was; the counters
table; the paragraph on the figures' limits.

Each takes the report's Run (the rows, indexed: scripts/report) and returns
text or blocks in the report's block format ("h", "p", "pre", "ul",
"table", "fig": report_render.py).  Standard library only; nothing here
prints or exits.
"""

import os
import re
import statistics

import ipclab_results as R


def size_classes(run):
    """The sizes the verdict speaks of: the smallest (64 B when measured),
    64 KiB when measured, the largest; one when the run has one size."""
    s = run.sizes
    if not s:
        return []
    out = [64 if 64 in s else s[0]]
    if 65536 in s and 65536 not in out:
        out.append(65536)
    if s[-1] not in out:
        out.append(s[-1])
    return out


def spins(t):
    return "/spin" in t + "/"


# ---- what is particular to each transport ----------------------------------------

def particulars(run, winners):
    """[(transport, text)] of what stands out for each transport, and the
    transports where nothing does."""
    out, plain = [], []
    iv, _ = run.interval()
    one_cpu = {}            # spread RTT / same RTT at 64 B: > 1 = one CPU faster
    for t in run.transports:
        a = run.ok(t, "latency", 64, "spread")
        b = run.ok(t, "latency", 64, "same")
        if a and b and R.get(a, "rtt_p50_ns") and R.get(b, "rtt_p50_ns"):
            one_cpu[t] = a["rtt_p50_ns"] / b["rtt_p50_ns"]
    typical = statistics.median(one_cpu.values()) if one_cpu else None
    for t in run.transports:
        if not run.measured(t):
            continue
        facts = list(winners.get(t, []))
        rows = [r for r in run.rows if r["transport"] == t]
        x = one_cpu.get(t)
        if x is not None and typical and (x / typical >= 3 or x / typical <= 1 / 3):
            facts.append(f"a 64 B round trip on one CPU is {R.fmt_times(max(x, 1 / x))} "
                         f"{'faster' if x > 1 else 'slower'} than across two (typical here: "
                         f"{R.fmt_times(max(typical, 1 / typical))} "
                         f"{'faster' if typical > 1 else 'slower'})")
        tp = run.ok(t, "throughput", 65536, run.main)
        lim = run.ok("memcpy", "throughput", 65536, run.main)
        if tp and lim and R.get(tp, "mb_per_s") and R.get(lim, "mb_per_s"):
            share = tp["mb_per_s"] / lim["mb_per_s"]
            if share >= 0.4:
                facts.append(f"reaches {100 * share:.0f} % of memcpy at 64 KiB")
        p = run.paced_row(t, run.main)
        if p is not None and iv and spins(t) and (R.get(p, "cpu_ns_per_msg") or 0) >= 0.5 * iv:
            facts.append(f"busy-polls while idle: {R.fmt_ns(p['cpu_ns_per_msg'])} of CPU per "
                         f"round trip at one every {R.interval_label(iv)}")
        lost = sum((R.get(r, "lost") or 0) + (R.get(r, "duplicated") or 0) +
                   (R.get(r, "reordered") or 0) for r in rows if r["status"] == "ok")
        if lost:
            facts.append(f"{lost:.0f} messages lost, duplicated or reordered in total")
        if not any(r["status"] == "ok" and r["mode"] != "paced" for r in rows) and \
                any(r["status"] == "ok" for r in rows):
            facts.append("measured in paced mode only")
        if any(r["status"] == "ok" for r in rows) and \
                not any(r["size_bytes"] for r in rows if r["status"] == "ok"):
            facts.append("size-less: counts events, not bytes; kept out of the size charts")
        sized = {int(r["size_bytes"]) for r in rows if r["status"] == "ok" and r["size_bytes"]
                 and r["mode"] != "paced"}
        if len(sized) == 1 and len(run.sizes) > 1:
            facts.append(f"takes one size only ({R.size_label(min(sized))}); "
                         "kept out of the size charts")
        remarks, shapes = [], set()
        for r in rows:
            m = R.paced_remark(r) if r["mode"] == "paced" else R.remark(r)
            if r["status"] == "ok" and m and re.sub(r"[0-9]+", "N", m) not in shapes:
                shapes.add(re.sub(r"[0-9]+", "N", m))
                remarks.append(m)
        if remarks:
            facts.append("notes: " + "; ".join(remarks[:3]))
        bad = [r for r in rows if r["status"] != "ok"]
        if bad:
            reasons = []
            for r in bad:
                w = R.reason(r)
                if w and w not in reasons:
                    reasons.append(w)
            facts.append(f"{len(bad)} row{'s' if len(bad) > 1 else ''} failed or did not "
                         "apply" + (": " + "; ".join(reasons[:2]) if reasons else ""))
        if facts:
            text = "; ".join(facts)
            out.append((t, text[0].upper() + text[1:] + "."))
        else:
            plain.append(t)
    return out, plain


# ---- the lessons ---------------------------------------------------------------------

def _lesson_row(run, t, mode):
    """The lesson's ok row: main placement first, smallest size first."""
    for pl in [run.main] + [p for p in run.places if p != run.main]:
        rows = sorted((r for r in run.rows if r["transport"] == t and r["mode"] == mode
                       and r["placement"] == pl and r["status"] == "ok"),
                      key=lambda r: int(r["size_bytes"] or 0))
        if rows:
            return rows[0]
    return None


def _p50(run, t):
    r = _lesson_row(run, t, "latency")
    return R.get(r, "rtt_p50_ns") if r else None


def _fact(run, t):
    """A fact row's sentence: its note when ok, what went wrong when not."""
    r = _lesson_row(run, t, "throughput")
    if r is not None:
        return R.remark(r)
    bad = [x for x in run.rows if x["transport"] == t and x["status"] == "failed"]
    return f"not as documented: {R.reason(bad[0])}" if bad else None


def _timer_interval(r):
    """A timers row's interval in ns: its interval_ns column, or (older
    runs) the "interval N us" its note states."""
    iv = R.get(r, "interval_ns")
    if iv:
        return int(iv)
    m = re.search(r"interval ([0-9]+) (us|µs|ms|s)\b", R.remark(r) or "")
    return int(m.group(1)) * {"us": 1000, "µs": 1000, "ms": 10**6, "s": 10**9}[
        m.group(2)] if m else None


def lessons(run):
    """[(bold, sentence)]: what each lesson showed on this machine."""
    out = []
    on, cures = _p50(run, "nagle/on"), [(c, _p50(run, "nagle/" + c))
                                        for c in ("nodelay", "cork", "more")]
    cures = [(c, v) for c, v in cures if v]
    if on and cures:
        out.append(("Nagle and delayed ACK:", "a write-write-read round trip took "
                    f"{R.fmt_ns(on)} (p50) with Nagle on, " + ", ".join(
                        f"{R.fmt_ns(v)} with {c}" for c, v in cures) +
                    f" ({R.fmt_times(on / min(v for _, v in cures))} less)."))
    oc = _lesson_row(run, "connection/open-close", "throughput")
    one = _lesson_row(run, "connection/one-request", "throughput")
    if oc and one and R.get(oc, "msgs_per_s") and R.get(one, "msgs_per_s"):
        out.append(("Connection cost:", f"{oc['msgs_per_s']:.0f} TCP connections/s opened "
                    f"and closed; with one 64 B request each, {one['msgs_per_s']:.0f}/s: "
                    "opening and closing is "
                    f"{100 * one['msgs_per_s'] / oc['msgs_per_s']:.0f} % of a one-request "
                    "connection."))
    for t in ("time_wait/reuseaddr", "time_wait/burst", "linger/reset",
              "linger/half-close", "backlog/full", "sigpipe/killed", "sigpipe/ignored",
              "sigpipe/nosignal"):
        f = _fact(run, t)
        if f:
            out.append((t + ":", f + "."))
    late = {}           # interval (ns) -> ["nanosleep 55 µs (p99 ...)"]
    for r in sorted((r for r in run.rows if r["transport"].startswith("timers/")
                     and r["mode"] == "latency" and r["placement"] == run.main
                     and r["status"] == "ok" and R.get(r, "rtt_p50_ns")),
                    key=lambda r: r["transport"]):
        iv = _timer_interval(r)
        if iv is None:
            continue
        p99 = R.percentile(r, "rtt_p99_ns")     # None: too few round trips
        late.setdefault(iv, []).append(
            f"{r['transport'].split('/', 1)[1]} {R.fmt_ns(r['rtt_p50_ns'] - iv)}"
            + (f" (p99 {R.fmt_ns(p99 - iv)})" if p99 else ""))
    if late:
        out.append(("Timers fire late, never early:", "lateness at p50 " + "; ".join(
            f"at {R.interval_label(iv)}: " + ", ".join(late[iv]) for iv in sorted(late))
            + "."))
    forks = [(t.split("/", 1)[1], _p50(run, t)) for t in run.transports
             if t.startswith("fork_cost/")]
    forks = [(n, v) for n, v in forks if v]
    if forks:
        d = dict(forks)
        s = "per process created and reaped: " + ", ".join(f"{n} {R.fmt_ns(v)}"
                                                          for n, v in forks)
        if d.get("fork-1G") and d.get("posix_spawn-1G"):
            ratio = R.fmt_times(d["fork-1G"] / d["posix_spawn-1G"])
            s += f"; with a 1 GiB parent fork takes {ratio} as long as posix_spawn"
        out.append(("Process creation:", s + "."))
    return out


# ---- which one: the advice of `ipclab advise`, per size class and goal -----

def _advise_module():
    import importlib.machinery
    import importlib.util
    # scripts/advise, beside this folder (installed beside it too)
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))),
                        "advise")
    loader = importlib.machinery.SourceFileLoader("ipclab_advise", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def advice_blocks(run):
    """What `ipclab advise --size S --goal G --placement MAIN` says on this
    run, for each size class and goal: the same text, in the report."""
    try:
        adv = _advise_module()
    except (OSError, ImportError, SyntaxError):
        return []
    out = []
    for size in size_classes(run):
        for goal in ("latency", "throughput", "cpu"):
            lines = adv.advise(run.rows, size, goal, run.main)
            if lines:
                out.append(("pre", "\n".join(lines)))
    if out:
        out.insert(0, ("p", "What `ipclab advise --size S --goal G` answers from this run "
                            f"(placement {run.main}): a shortlist, the figure with its "
                            "interval, a reason from the counters; a tie where the "
                            "intervals overlap."))
        out.insert(0, ("h", 2, "Which one, and why (ipclab advise)", "advise"))
    return out


# ---- one server, many clients ---------------------------------------------------

def server_groups(srows):
    """{(via, size, workload, loop, placement): {model: {clients: row}}}."""
    groups = {}
    for r in srows:
        if r["status"] != "ok" or not R.get(r, "msgs_per_s"):
            continue
        m, via = R.server_model(r)
        k = (via, int(r["size_bytes"] or 0), *R.workload(r), r["placement"])
        groups.setdefault(k, {}).setdefault(m, {})[int(r["clients"])] = r
    return groups


def where_it_breaks(m, by_c):
    """One sentence: how a model's requests/s and p99 moved with clients."""
    cs = sorted(by_c)
    lo, hi = by_c[cs[0]], by_c[cs[-1]]
    grow = hi["msgs_per_s"] / lo["msgs_per_s"]
    p_lo = R.percentile(lo, "rtt_p99_ns") or lo.get("rtt_p50_ns")
    jump = None
    for c in cs[1:]:
        p = R.percentile(by_c[c], "rtt_p99_ns")
        if p and p_lo and p > 10 * p_lo:
            jump = (c, p / p_lo)
            break
    if grow < 1.3:
        text = (f"requests/s stays near its {cs[0]}-client figure up to {cs[-1]} clients "
                f"({grow:.2f}×): it serves one client at a time in effect")
    else:
        text = f"requests/s grows {R.fmt_times(grow)} from {cs[0]} to {cs[-1]} clients"
    if jump:
        text += (f"; p99 passes 10× its {cs[0]}-client value at {jump[0]} clients "
                 f"({R.fmt_times(jump[1])}): clients wait behind others there")
    elif len(cs) > 1:
        text += "; p99 stays within 10× of its one-client value"
    srv = R.get(hi, "consumer_cpu_ns_per_msg")
    if srv:
        text += f"; server CPU per request at {cs[-1]} clients {R.fmt_ns(srv)}"
    return text + "."


def servers_blocks(srows):
    """The report's server section as blocks (empty without server rows)."""
    groups = server_groups(srows)
    if not groups:
        return []
    out = [("h", 2, "One server, many clients", "servers"),
           ("p", "Each concurrency model served the same requests (every reply verified) "
                 "to a growing number of concurrent clients, the server on one CPU and "
                 "the load on the other. Requests/s is over all clients; p99 is the round "
                 "trip of one request. Ranked by requests/s at the most clients measured.")]
    for (via, size, w, loop, pl), models in groups.items():
        cs = sorted({c for by_c in models.values() for c in by_c})
        top = cs[-1]
        wl = "keep-alive" if w == "keepalive" else "connect per request"
        out.append(("h", 3, f"{via}, {R.size_label(size)}, {wl}, {loop} loop, {pl}",
                    f"servers-{via}-{size}-{w}-{loop}-{pl}"))
        ranked = sorted(models.items(),
                        key=lambda mb: -(mb[1][top]["msgs_per_s"] if top in mb[1] else 0))
        rows = []
        for i, (m, by_c) in enumerate(ranked, 1):
            r = by_c.get(top)
            rows.append([str(i), m] +
                        [f"{by_c[c]['msgs_per_s']:.0f}" if c in by_c else "" for c in cs] +
                        [R.fmt_ns(R.percentile(r, "rtt_p99_ns")) if r else "",
                         R.fmt_ns(R.get(r, "consumer_cpu_ns_per_msg")) if r else ""])
        out.append(("table", ["rank", "model"] + [f"req/s, {c} cl." for c in cs] +
                    [f"p99 at {top}", f"server CPU/req at {top}"], rows))
        out.append(("ul", [(m + ":", where_it_breaks(m, by_c))
                           for m, by_c in ranked if len(by_c) > 1]))
    return out


# ---- steadiness, counters, limits -------------------------------------------

def steadiness(run):
    """What the sweep's guard saw (meta.txt guard* lines), in a sentence."""
    meta = run.meta
    flagged = sum("unsteady" in (r.get("flags") or "").split(";") for r in run.rows)
    if meta.get("guard") != "on":
        return ("The sweep ran without its guard (GUARD=0, or the calibration "
                "could not run, or an older sweep): nothing says whether the machine "
                "stayed steady; compare the rows' CV.")
    reruns = meta.get("guard_reruns", "0")
    groups = meta.get("guard_unsteady_groups", "0")
    text = ("Before the first group and after each one the sweep measured a short "
            "calibration (cacheline round trip at 64 B, xcore at 64 KiB on two CPUs); "
            "a group whose calibration moved by more than 25 % was run once more. "
            f"Here {reruns} group(s) were re-run")
    if flagged:
        return text + (f", and {groups} moved again: their {flagged} rows are flagged "
                       "unsteady (below, and marked in the charts' legends). Treat them "
                       "as indicative; re-run them on a quiet machine.")
    return text + "; no row is flagged unsteady."


def counters_table(run):
    """(text, header, rows): each transport's declared system calls beside
    the measured ones, throughput at 64 KiB (else the largest size it ran),
    one CPU if the run has it; None when the results have no counters."""
    if not any(R.get(r, "syscalls_send_declared") is not None or
               R.get(r, "vcsw_per_msg_producer") is not None for r in run.rows):
        return None
    pl = "same" if "same" in run.places else run.main

    def num(x, fmt="{:.2f}"):
        return "" if x is None else fmt.format(x)
    rows = []
    for t in run.transports:
        cands = [r for r in run.rows if r["transport"] == t and r["status"] == "ok"
                 and r["placement"] == pl and r["mode"] == "throughput"]
        if not cands:
            cands = [r for r in run.rows if r["transport"] == t and r["status"] == "ok"
                     and r["placement"] == pl and r["mode"] == "latency"]
        if not cands:
            continue
        at = [r for r in cands if int(r["size_bytes"] or 0) == 65536]
        r = at[0] if at else max(cands, key=lambda x: (int(x["size_bytes"] or 0)
                                                       if int(x["size_bytes"] or 0) <= 65536
                                                       else -1))
        per = "RT" if r["mode"] == "latency" else "msg"
        ctx = [R.get(r, f"ctxsw_per_msg_{s}") for s in ("producer", "consumer")]
        if ctx[0] is None:
            ctx = [None if R.get(r, f"vcsw_per_msg_{s}") is None else
                   R.get(r, f"vcsw_per_msg_{s}") + (R.get(r, f"ivcsw_per_msg_{s}") or 0)
                   for s in ("producer", "consumer")]
        rows.append([t, f"{r['mode']} {R.size_label(r['size_bytes'])}",
                     num(R.get(r, "copies"), "{:.0f}"),
                     num(R.get(r, "syscalls_send_declared"), "{:.0f}"),
                     num(R.get(r, "syscalls_per_msg_producer")) + f"/{per}"
                     if R.get(r, "syscalls_per_msg_producer") is not None else "",
                     num(R.get(r, "syscalls_recv_declared"), "{:.0f}"),
                     num(R.get(r, "syscalls_per_msg_consumer")) + f"/{per}"
                     if R.get(r, "syscalls_per_msg_consumer") is not None else "",
                     num(ctx[0]), num(ctx[1])])
    if not rows:
        return None
    text = (f"Placement {pl}. Declared: what each transport's table says one send and "
            "one receive cost in system calls, and the copies a byte takes; measured: "
            "per message (latency rows: per round trip, so a side's send and receive "
            "together), from the last warm-up run. Producer then consumer. A one-process "
            "transport has no consumer column; an empty measured cell means this machine "
            "gave no syscall count" + (f" ({run.meta['counters_missing']})"
                                        if run.meta.get("counters_missing") else "") + ".")
    return text, ["transport", "row", "copies", "send: declared", "measured",
                  "recv: declared", "measured", "ctxsw producer", "ctxsw consumer"], rows


def limits_paragraph(run):
    cvs = [R.cv_pct(r) for r in run.rows if r["status"] == "ok"]
    cvs = [c for c in cvs if c is not None]
    s = (f"Percentiles are shown only where every run had at least {R.TAIL_SAMPLES} "
         f"round trips beyond them: p99 needs {R.samples_needed(0.99):,} round trips per run, "
         f"p99.9 {R.samples_needed(0.999):,}; an empty cell means too few. "
         "One-way = RTT/2 only where a round trip is two symmetric one-way trips "
         "(not fork + reap, not coalescing). CV is empty for a row with one run.")
    if cvs:
        s += (f" Noise: the median row varies by {statistics.median(cvs):.1f} % (CV) across "
              "its measured runs; differences smaller than that are not findings.")
    return s
