# report.awk - write report.md and index.html of one results directory.
#
# Run after csv.awk (see scripts/report).  Variables: MD, HTML (output
# files), META (meta.txt path, may be missing), CHARTS (space-separated chart
# names found in DIR/charts), README (1 when DIR/README.md exists).  Both
# files carry the same content: the machine, the charts, a ranking per mode
# at 64 B and 64 KiB, the paced rows (when there are some: their own charts
# and a table per placement), the limit rows, one sentence per transport,
# and the rows that failed or did not apply.  The HTML is static: no
# script, no external resource.

function html(s) {
    gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
    gsub(/"/, "\\&quot;", s)
    return s
}
function mdcell(s) { gsub(/\|/, "\\|", s); return s }

function h(level, text, id) {
    printf "\n%s %s\n\n", substr("####", 1, level), text > MD
    printf "<h%d id=\"%s\">%s</h%d>\n", level, id, html(text), level > HTML
}
function para(text) {
    printf "%s\n\n", text > MD
    printf "<p>%s</p>\n", html(text) > HTML
}
# A paragraph whose first words are bold: the mechanism sentences.
function bpara(bold, text) {
    printf "- **%s**: %s\n", bold, text > MD
    printf "<li><b>%s</b>: %s</li>\n", html(bold), html(text) > HTML
}
function table(header,    n, i, c) {
    n = split(header, c, "|")
    printf "|" > MD
    for (i = 1; i <= n; i++) printf " %s |", c[i] > MD
    printf "\n|" > MD
    for (i = 1; i <= n; i++) printf "%s|", (c[i] ~ /^(rank|spread|same|CPU|RTT)/ ? "---:" : "---") > MD
    printf "\n" > MD
    printf "<table>\n<tr>" > HTML
    for (i = 1; i <= n; i++) printf "<th>%s</th>", html(c[i]) > HTML
    printf "</tr>\n" > HTML
}
function row(cells,    n, i, c) {
    n = split(cells, c, "\t")
    printf "|" > MD
    for (i = 1; i <= n; i++) printf " %s |", mdcell(c[i]) > MD
    printf "\n" > MD
    printf "<tr>" > HTML
    for (i = 1; i <= n; i++) printf "<td>%s</td>", html(c[i]) > HTML
    printf "</tr>\n" > HTML
}
function table_end() { printf "\n" > MD; printf "</table>\n" > HTML }

function size_label(b) {
    if (b + 0 == 0) return "-"
    if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) " MiB"
    if (b >= 1024 && b % 1024 == 0) return (b / 1024) " KiB"
    return b " B"
}
function fmt_mb(x) { return x == "" ? "" : (x + 0 >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x)) " MB/s" }
function fmt_ns(x) {
    if (x == "") return ""
    x += 0
    if (x < 1000) return sprintf("%.0f ns", x)
    if (x < 1e6) return sprintf("%.3g µs", x / 1000)
    return sprintf("%.3g ms", x / 1e6)
}
function fmt_ratio(x) { return sprintf("%.2fx", x) }
function fmt_count(x) {
    x += 0
    if (x >= 1e6) return sprintf("%.2f million", x / 1e6)
    if (x >= 100) return sprintf("%.0f", x)
    return sprintf("%.3g", x)
}
function okrow(t, m, s, pl) {
    return ((t SUBSEP m SUBSEP s SUBSEP pl) in OKROW) ? OKROW[t, m, s, pl] : ""
}
function anyrow(t, m, s, pl) {
    return ((t SUBSEP m SUBSEP s SUBSEP pl) in ROW) ? ROW[t, m, s, pl] : ""
}
function value(r, m) {
    if (r == "") return ""
    if (m == "throughput") return V[r, "mb_per_s"] != "" ? V[r, "mb_per_s"] : ""
    return V[r, "rtt_p50_ns"]
}
function show(r, m) {
    if (r == "") return "-"
    if (V[r, "status"] != "ok") return V[r, "status"]
    if (m == "throughput")
        return V[r, "mb_per_s"] != "" ? fmt_mb(V[r, "mb_per_s"]) : sprintf("%.3g msgs/s", V[r, "msgs_per_s"])
    return fmt_ns(V[r, "rtt_p50_ns"]) " (p99 " fmt_ns(V[r, "rtt_p99_ns"]) ")"
}

# Ranking of the non-limit transports in one mode at one size, by the
# spread figure (ties and missing values last); fills RANK[t] and RANKED[].
function rank(m, s, pl,    i, j, t, n, v, x, tmp) {
    split("", RANK); split("", RANKED)
    n = 0
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        if (FAM[t] == "limit") continue
        v = value(okrow(t, m, s, pl), m)
        if (v == "") continue
        RANKED[++n] = t; KEYV[t] = v + 0
    }
    for (i = 2; i <= n; i++) {          # insertion sort, best first
        tmp = RANKED[i]; x = KEYV[tmp]
        for (j = i - 1; j >= 1 && (m == "throughput" ? KEYV[RANKED[j]] < x : KEYV[RANKED[j]] > x); j--)
            RANKED[j + 1] = RANKED[j]
        RANKED[j + 1] = tmp
    }
    for (i = 1; i <= n; i++) RANK[RANKED[i]] = i
    return n
}

function ranking_table(m, s,    n, i, t, a, b, pl2) {
    pl2 = (("same") in PLACES) ? "same" : ""
    n = rank(m, s, MAINPL)
    if (n == 0) {
        para("No " m " row at " size_label(s) ".")
        return
    }
    table("rank|transport|" MAINPL (pl2 != "" ? "|" pl2 : "") "|CPU per message (" MAINPL ")|note")
    for (i = 1; i <= n; i++) {
        t = RANKED[i]
        a = okrow(t, m, s, MAINPL)
        b = pl2 != "" ? anyrow(t, m, s, pl2) : ""
        row(i "\t" t "\t" show(a, m) (pl2 != "" ? "\t" show(b, m) : "") "\t" \
            fmt_ns(V[a, "cpu_ns_per_msg"]) "\t" V[a, "note"])
    }
    for (i = 1; i <= NTP; i++) {        # those without a figure, last
        t = TP[i]
        if (FAM[t] == "limit" || (t in RANK)) continue
        a = anyrow(t, m, s, MAINPL)
        if (a == "") continue
        row("-\t" t "\t" V[a, "status"] (pl2 != "" ? "\t" show(anyrow(t, m, s, pl2), m) : "") "\t\t" V[a, "note"])
    }
    table_end()
}

# A chart in the report: the image, its caption and a link to the SVG.
function figure(name) {
    printf "![%s](charts/%s.png)\n\n*%s* ([SVG](charts/%s.svg))\n\n", caption(name), name, caption(name), name > MD
    printf "<figure id=\"%s\"><a href=\"charts/%s.svg\"><img src=\"charts/%s.png\" alt=\"%s\"></a>\n<figcaption>%s (<a href=\"charts/%s.svg\">SVG</a>)</figcaption></figure>\n", \
        name, name, name, html(caption(name)), html(caption(name)), name > HTML
}

# A paced row whose round trip (p50) took longer than its interval: no
# pause was left, its round trips ran back to back.
function paced_late(r) {
    return csv_every(r) != "" && V[r, "rtt_p50_ns"] + 0 > csv_every_ns(csv_every(r))
}
# The note of a paced row for the table: without the interval the section
# gives already, saying when the row was not paced at all.
function paced_note(r,    s) {
    s = V[r, "note"]
    if (csv_every(r) == PACED_IV && PACED_IV != "") {
        s = substr(s, 29 + length(PACED_IV))
        sub(/^; /, "", s)
    }
    if (V[r, "status"] == "ok" && paced_late(r))
        s = "round trip longer than the interval: back to back" (s != "" ? "; " s : "")
    return s
}

# The paced rows: what each way of waiting costs when messages are sparse.
function paced_section(    p, pl, n, i, j, r, t, x, s, lo, hi, tmp, spin_lo, spin_hi, nsizes, sz, cheap, late) {
    h(2, "When messages are sparse (paced)", "paced")
    x = PACED_IV != "" ? csv_every_ns(PACED_IV) : ""
    spin_lo = spin_hi = cheap = ""; late = 0
    for (r = 1; r <= NROWS; r++) {
        if (V[r, "mode"] != "paced" || V[r, "status"] != "ok" || V[r, "cpu_ns_per_msg"] == "")
            continue
        late += paced_late(r)
        if (V[r, "placement"] != MAINPL)
            continue
        if (V[r, "transport"] ~ /\/spin(\/|$)/) {
            if (spin_lo == "" || V[r, "cpu_ns_per_msg"] + 0 < spin_lo) spin_lo = V[r, "cpu_ns_per_msg"] + 0
            if (spin_hi == "" || V[r, "cpu_ns_per_msg"] + 0 > spin_hi) spin_hi = V[r, "cpu_ns_per_msg"] + 0
        } else if (cheap == "" || V[r, "cpu_ns_per_msg"] + 0 < V[cheap, "cpu_ns_per_msg"] + 0)
            cheap = r
    }
    s = "Paced mode sends one round trip every " PACED_EVERY " instead of back to back (the producer sleeps until " \
        "its next slot) and times each one as latency mode does. Its point is the CPU column, the user + system time of " \
        "both processes per round trip: what waiting costs when messages are sparse. A side that sleeps (futex, " \
        "semaphores, pipes, sockets, signals) pays for its system calls and wake-ups; a side that spins keeps its CPU " \
        "busy for the whole interval, message or not. The receiver of a /spin variant polls from one message to the " \
        "next while the sender sleeps until its slot, so the /spin variants cost about one interval of CPU, " \
        (x != "" ? fmt_ns(x) : "the interval") ", per round trip" \
        (x != "" && index(" " CHARTS, " paced-") ? " (the dashed line)" : "") ". The msgs/s column of a paced row is " \
        "the pace achieved: below one per interval when the sleeps wake late."
    if (spin_lo != "") {
        s = s " Here (placement " MAINPL ") they cost " fmt_ns(spin_lo) (spin_hi > spin_lo ? " to " fmt_ns(spin_hi) : "")
        if (x != "") {
            lo = sprintf("%.2g", spin_lo / x); hi = sprintf("%.2g", spin_hi / x)
            s = s " (" lo (hi != lo ? " to " hi : "") " times the interval)"
        }
        s = s (cheap != "" ? "; the cheapest transport that does not spin, " V[cheap, "transport"] ", " fmt_ns(V[cheap, "cpu_ns_per_msg"]) : "") "."
    }
    if (late)
        s = s " A round trip longer than the interval leaves no pause: such rows ran back to back (their note says so)."
    if (PACED_OTHER != "")
        s = s " Rows disagree on the interval (" PACED_OTHER "); each note says its own."
    para(s)
    for (p = 1; p <= NPL; p++) {
        pl = PL[p]
        n = 0; split("", PR); split("", SIZES_PL)
        for (r = 1; r <= NROWS; r++)
            if (V[r, "mode"] == "paced" && V[r, "placement"] == pl) {
                PR[++n] = r
                if (V[r, "size_bytes"] + 0 > 0) SIZES_PL[V[r, "size_bytes"] + 0] = 1
            }
        if (n == 0) continue
        nsizes = 0
        for (sz in SIZES_PL) nsizes++
        for (i = 2; i <= n; i++) {      # insertion sort: by CPU, rows without it last
            tmp = PR[i]
            for (j = i - 1; j >= 1 && paced_after(PR[j], tmp); j--)
                PR[j + 1] = PR[j]
            PR[j + 1] = tmp
        }
        h(3, "Placement " pl (pl == "spread" ? " (two CPUs)" : pl == "same" ? " (one CPU)" : "") ", cheapest first", "sparse-" pl)
        if (index(" " CHARTS " ", " paced-" pl " "))
            figure("paced-" pl)
        table("transport|RTT p50|RTT p99|CPU per round trip|note")
        for (i = 1; i <= n; i++) {
            r = PR[i]
            t = V[r, "transport"] (nsizes > 1 && V[r, "size_bytes"] + 0 > 0 ? " (" size_label(V[r, "size_bytes"]) ")" : "")
            if (V[r, "status"] == "ok")
                row(t "\t" fmt_ns(V[r, "rtt_p50_ns"]) "\t" fmt_ns(V[r, "rtt_p99_ns"]) "\t" fmt_ns(V[r, "cpu_ns_per_msg"]) "\t" paced_note(r))
            else
                row(t "\t" V[r, "status"] "\t\t\t" paced_note(r))
        }
        table_end()
    }
}
# Order of the paced table: ok rows by CPU per round trip, then the others.
function paced_after(a, b,    ka, kb) {
    ka = V[a, "status"] == "ok" && V[a, "cpu_ns_per_msg"] != ""
    kb = V[b, "status"] == "ok" && V[b, "cpu_ns_per_msg"] != ""
    if (ka != kb) return kb
    return ka && V[a, "cpu_ns_per_msg"] + 0 > V[b, "cpu_ns_per_msg"] + 0
}

function caption(name,    pl) {
    pl = name; sub(/^[a-z]+(-ladder)?-/, "", pl)
    if (name ~ /^throughput-/) return "Throughput vs message size, placement " pl " (log-log; memcpy dashed)"
    if (name ~ /^latency-ladder-/) return "Round-trip latency percentiles at 64 B, placement " pl
    if (name ~ /^latency-/) return "Round-trip latency vs message size, placement " pl " (p50 line, p99 whisker)"
    if (name == "cpu-per-msg") return "CPU time per message at 64 B (both processes, user + system)"
    if (name == "same-vs-spread") return "One CPU vs two: speed-up on the same CPU"
    if (name ~ /^paced-/) return "The price of waiting: CPU time per round trip when one is sent every " PACED_EVERY ", placement " pl " (round-trip p50 at the bar end)"
    return name
}

function sentence(t,    s, r, x, parts, n, lim, i, bad, a, b, r64, lat) {
    n = 0
    r64 = okrow(t, "throughput", 64, MAINPL)
    r = okrow(t, "throughput", 65536, MAINPL)
    if (r != "" && V[r, "mb_per_s"] != "") {
        s = (r64 != "" && V[r64, "mb_per_s"] != "" ? "it moves " fmt_mb(V[r64, "mb_per_s"]) " in 64 B messages and " : "it moves ") \
            fmt_mb(V[r, "mb_per_s"]) " in 64 KiB ones"
        rank("throughput", 65536, MAINPL)
        if (t in RANK) s = s " (rank " RANK[t] " of " length(RANKED) " at 64 KiB"
        lim = okrow("memcpy", "throughput", 65536, MAINPL)
        if (lim != "" && V[lim, "mb_per_s"] + 0 > 0)
            s = s sprintf(", %.0f%% of memcpy", 100 * V[r, "mb_per_s"] / V[lim, "mb_per_s"])
        parts[++n] = s ((t in RANK) ? ")" : "")
    } else if (r64 != "" && V[r64, "mb_per_s"] != "")
        parts[++n] = "it moves " fmt_mb(V[r64, "mb_per_s"]) " in 64 B messages"
    else if ((r = okrow(t, "throughput", 0, MAINPL)) != "" && V[r, "msgs_per_s"] != "")
        parts[++n] = fmt_count(V[r, "msgs_per_s"]) " events per second" \
            (V[r, "note"] != "" ? " (" V[r, "note"] ")" : "")
    else {                      # a transport that takes one size only
        for (i = 1; i <= NROWS; i++)
            if (V[i, "transport"] == t && V[i, "mode"] == "throughput" && V[i, "status"] == "ok" &&
                V[i, "placement"] == MAINPL && V[i, "mb_per_s"] != "") {
                parts[++n] = "it moves " fmt_mb(V[i, "mb_per_s"]) " (" fmt_count(V[i, "msgs_per_s"]) \
                    " messages per second) in " size_label(V[i, "size_bytes"]) " messages"
                break
            }
    }
    lat = 64
    r = okrow(t, "latency", 64, MAINPL)
    if (r == "" && (r = okrow(t, "latency", 0, MAINPL)) != "")
        lat = 0
    if (r == "") {              # a transport that takes one size only
        for (i = 1; i <= NROWS; i++)
            if (V[i, "transport"] == t && V[i, "mode"] == "latency" && V[i, "status"] == "ok" &&
                V[i, "placement"] == MAINPL) { r = i; lat = V[i, "size_bytes"] + 0; break }
    }
    if (r != "") {
        s = (lat == 0 ? "a round trip" : "a " size_label(lat) " round trip") " takes " fmt_ns(V[r, "rtt_p50_ns"]) " at the median"
        if (V[r, "rtt_p99_ns"] != "") s = s ", " fmt_ns(V[r, "rtt_p99_ns"]) " at p99"
        if (lat == 64) {
            rank("latency", 64, MAINPL)
            if (t in RANK) s = s " (rank " RANK[t] " of " length(RANKED) ")"
        }
        parts[++n] = s
        if (V[r, "cpu_ns_per_msg"] != "")
            parts[++n] = "each round trip costs " fmt_ns(V[r, "cpu_ns_per_msg"]) " of CPU time"
        if ((a = okrow(t, "latency", lat, "spread")) != "" && (b = okrow(t, "latency", lat, "same")) != "" &&
            V[b, "rtt_p50_ns"] + 0 > 0) {
            x = V[a, "rtt_p50_ns"] / V[b, "rtt_p50_ns"]
            parts[++n] = "on one CPU the round trip is " (x >= 1 ? sprintf("%.2fx faster", x) : sprintf("%.2fx slower", 1 / x))
        }
    }
    bad = ""
    for (i = 1; i <= NROWS; i++)
        if (V[i, "transport"] == t && V[i, "status"] != "ok") {
            if (bad == "") bad = V[i, "status"] " at " size_label(V[i, "size_bytes"]) " " V[i, "mode"] " " V[i, "placement"] \
                        (V[i, "note"] != "" ? " (" V[i, "note"] ")" : "")
            nbad[t]++
        }
    if (bad != "")
        parts[++n] = nbad[t] " row" (nbad[t] > 1 ? "s" : "") " failed or did not apply, e.g. " bad
    if (n == 0 && (t in PACED_ONLY))
        return "Measured in paced mode only (see \"When messages are sparse\")."
    if (n == 0)
        return "no ok row in this run."
    s = parts[1]
    for (i = 2; i <= n; i++)
        s = s (i == n ? "; " : "; ") parts[i]
    return toupper(substr(s, 1, 1)) substr(s, 2) "."
}

END {
    NTP = 0
    for (r = 1; r <= NROWS; r++) {
        t = V[r, "transport"]
        if (!(t in FAM)) { TP[++NTP] = t; FAM[t] = V[r, "family"] }
        PLACES[V[r, "placement"]] = 1
        key = t SUBSEP V[r, "mode"] SUBSEP (V[r, "size_bytes"] + 0) SUBSEP V[r, "placement"]
        ROW[key] = r
        if (V[r, "status"] == "ok") OKROW[key] = r
        else if (V[r, "status"] == "failed") NFAILED++
        else NNA++
    }
    MAINPL = ("spread" in PLACES) ? "spread" : V[1, "placement"]
    # placements in file order, for the paced tables
    NPL = 0
    for (r = 1; r <= NROWS; r++)
        if (!(V[r, "placement"] in PLSEEN)) { PLSEEN[V[r, "placement"]] = 1; PL[++NPL] = V[r, "placement"] }
    # paced rows: the interval (the first row's when they disagree), and
    # the transports that have nothing else
    NPACED = 0; PACED_IV = ""; PACED_OTHER = ""
    for (r = 1; r <= NROWS; r++) {
        if (V[r, "mode"] != "paced") { OTHERMODE[V[r, "transport"]] = 1; continue }
        NPACED++
        if ((x = csv_every(r)) == "" || (x in EVSEEN)) continue
        EVSEEN[x] = 1
        if (PACED_IV == "") PACED_IV = x
        PACED_OTHER = PACED_OTHER (PACED_OTHER == "" ? "" : ", ") csv_every_label(x)
    }
    if (PACED_OTHER !~ /,/) PACED_OTHER = ""
    PACED_EVERY = PACED_IV != "" ? csv_every_label(PACED_IV) : "interval"
    for (r = 1; r <= NROWS; r++)
        if (V[r, "mode"] == "paced" && V[r, "status"] == "ok" && !(V[r, "transport"] in OTHERMODE))
            PACED_ONLY[V[r, "transport"]] = 1
    host = "unknown"; date = ""
    nmeta = 0
    while (META != "" && (getline line < META) > 0) {
        k = line; sub(/=.*/, "", k); v = line; sub(/^[^=]*=/, "", v)
        if (k == "") continue
        MK[++nmeta] = k; MV[nmeta] = v
        if (k == "host") host = v
        if (k == "date") date = v
    }

    printf "# ipclab results: %s%s\n\n", host, date != "" ? ", " date : "" > MD
    printf "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" > HTML
    printf "<title>ipclab results: %s%s</title>\n", html(host), date != "" ? ", " html(date) : "" > HTML
    printf "<style>\nbody{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em;color:#222}\n" > HTML
    printf "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\n" > HTML
    printf "th{background:#f0f0f0}img{max-width:100%%;height:auto;border:1px solid #eee}figure{margin:1em 0 2em}\n" > HTML
    printf "figcaption{font-size:.9em;color:#555}\n</style>\n</head>\n<body>\n" > HTML
    printf "<h1>ipclab results: %s%s</h1>\n", html(host), date != "" ? ", " html(date) : "" > HTML

    ncv = 0
    for (r = 1; r <= NROWS; r++)
        if (V[r, "status"] == "ok" && V[r, "cv_pct"] != "") CV[++ncv] = V[r, "cv_pct"] + 0
    for (i = 2; i <= ncv; i++) {        # insertion sort for the median
        x = CV[i]
        for (j = i - 1; j >= 1 && CV[j] > x; j--) CV[j + 1] = CV[j]
        CV[j + 1] = x
    }
    para(NROWS " rows from results.csv: " (NROWS - NFAILED - NNA) " ok, " NFAILED + 0 " failed, " NNA + 0 \
         " not applicable. Throughput is in MB/s (10^6 bytes per second); latency is the round trip of one message and its echo. " \
         "Rankings and sentences use placement " MAINPL " (producer and consumer on two CPUs) unless a column says otherwise." \
         (ncv ? sprintf(" Noise: the median row varies by %.1f%% (CV) across its measured runs; a quiet machine gives a few per cent, so differences smaller than that are not findings.", CV[int((ncv + 1) / 2)]) : ""))
    if (README) {
        printf "How it was produced (the exact command): [README.md](README.md). Data: [results.csv](results.csv), [results.json](results.json).\n\n" > MD
        printf "<p>How it was produced (the exact command): <a href=\"README.md\">README.md</a>. Data: <a href=\"results.csv\">results.csv</a>, <a href=\"results.json\">results.json</a>.</p>\n" > HTML
    }

    h(2, "Machine", "machine")
    if (nmeta > 0) {
        table("key|value")
        for (i = 1; i <= nmeta; i++) row(MK[i] "\t" MV[i])
        table_end()
    } else
        para("No meta.txt in this directory: the machine is unknown.")

    h(2, "Charts", "charts")
    nc = split(CHARTS, ch, " ")
    for (i = 1; i <= nc; i++)
        if (ch[i] !~ /^paced-/ || !NPACED)     # the paced ones: in their section
            figure(ch[i])
    if (nc == 0) para("No chart was drawn (run scripts/plots on this directory).")

    h(2, "Rankings", "rankings")
    split("64 65536", rs, " ")
    for (k = 1; k <= 2; k++) {
        h(3, "Throughput at " size_label(rs[k]) " (higher is better)", "tp-" rs[k])
        ranking_table("throughput", rs[k])
        h(3, "Round-trip latency at " size_label(rs[k]) " (p50, lower is better)", "lat-" rs[k])
        ranking_table("latency", rs[k])
    }

    if (NPACED)
        paced_section()

    h(2, "Limit rows (what the hardware allows)", "limits")
    nl = 0
    for (r = 1; r <= NROWS; r++)
        if (V[r, "family"] == "limit") {
            if (nl++ == 0) table("transport|mode|size|placement|value|CPU per message|note")
            row(V[r, "transport"] "\t" V[r, "mode"] "\t" size_label(V[r, "size_bytes"]) "\t" V[r, "placement"] "\t" \
                show(r, V[r, "mode"]) "\t" fmt_ns(V[r, "cpu_ns_per_msg"]) "\t" V[r, "note"])
        }
    if (nl) table_end(); else para("No limit rows in this run.")

    h(2, "What the figures show, mechanism by mechanism", "mechanisms")
    printf "<ul>\n" > HTML
    for (i = 1; i <= NTP; i++)
        if (FAM[TP[i]] != "limit") bpara(TP[i] " (" FAM[TP[i]] ")", sentence(TP[i]))
    printf "\n" > MD
    printf "</ul>\n" > HTML

    h(2, "Rows that failed or did not apply", "failed")
    nf = 0
    for (r = 1; r <= NROWS; r++)
        if (V[r, "status"] != "ok") {
            if (nf++ == 0) table("transport|mode|size|placement|status|reason")
            row(V[r, "transport"] "\t" V[r, "mode"] "\t" size_label(V[r, "size_bytes"]) "\t" V[r, "placement"] "\t" V[r, "status"] "\t" V[r, "note"])
        }
    if (nf) table_end(); else para("None: every row is ok.")
    printf "</body>\n</html>\n" > HTML
}
