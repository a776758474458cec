"""plots_servers - the server family's charts (scripts/plots): requests/s and
round-trip p99 against the number of concurrent clients, one panel per
socket, size and workload, one line per concurrency model, each model its
own colour and marker in every chart.  Standard library only.
"""

import ipclab_results as R
from plots_gnuplot import lines_chart

# The server models, each its own colour and marker in every chart.
SERVER_MODELS = ("iterative", "fork", "prefork", "prefork_reuseport", "thread", "pool",
                 "select", "poll", "epoll", "epoll_et", "epoll_threads", "uring")
MODEL_COLOURS = ("#7f7f7f", "#d62728", "#ff7f0e", "#8c564b", "#2ca02c", "#17becf",
                 "#9467bd", "#e377c2", "#1f77b4", "#bcbd22", "#393b79", "#000000")


def model_style(m):
    i = SERVER_MODELS.index(m) if m in SERVER_MODELS else len(SERVER_MODELS) - 1
    return MODEL_COLOURS[i], ALL_POINTS_SERVER[i % len(ALL_POINTS_SERVER)]


ALL_POINTS_SERVER = (5, 7, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14)


def server_charts(srows, sub):
    """The server family: requests/s and p99 against the client count, one
    panel per socket, size and workload, one line per model."""
    ok = [r for r in srows if r["status"] == "ok" and R.get(r, "msgs_per_s")]
    if not ok:
        return []
    clients = sorted({int(r["clients"]) for r in ok})
    if len(clients) < 2:
        return []
    keys = []
    for r in ok:
        _, via = R.server_model(r)
        w, loop = R.workload(r)
        k = (via, int(r["size_bytes"] or 0), w, loop, r["placement"])
        if k not in keys:
            keys.append(k)
    out = []
    for what, col, scale, ylabel in (
            ("rps", "msgs_per_s", 1, "requests/s (log scale)"),
            ("p99", "rtt_p99_ns", 1e-3, "round trip p99 (µs, log scale)")):
        panels = []
        for via, size, w, loop, pl in keys:
            models = {}
            for r in ok:
                m, v = R.server_model(r)
                if (v, int(r["size_bytes"] or 0), *R.workload(r), r["placement"]) != \
                        (via, size, w, loop, pl):
                    continue
                y = R.percentile(r, col) if col.startswith("rtt_p") else R.get(r, col)
                if y:
                    models.setdefault(m, []).append((int(r["clients"]), y * scale))
            lines = [(m, model_style(m), sorted(pts)) for m, pts in models.items()]
            wl = "keep-alive" if w == "keepalive" else "connect per request"
            panels.append((f"{via}, {R.size_label(size)}, {wl}, {loop} loop, {pl}", lines))
        title = ("Servers: requests per second against concurrent clients" if what == "rps"
                 else "Servers: round-trip p99 against concurrent clients")
        cap = (title + ", one line per concurrency model (the server on one CPU, "
               "the load on the other)")
        out.append(lines_chart(f"servers-{what}", cap, title + "\n" + sub, ylabel,
                               "concurrent clients", panels, clients,
                               [str(c) for c in clients]))
    return [c for c in out if c is not None]
