# plots.awk - turn the rows of results.csv into gnuplot data and scripts.
#
# Run after csv.awk (see scripts/plots).  Variables: OUT (work directory),
# SUBTITLE (host, kernel, date for the titles).  For every chart it writes
# OUT/NAME.dat and OUT/NAME.gp (no terminal, no output: scripts/plots adds
# those), and one line "NAME WIDTH HEIGHT" to OUT/charts.list.  A chart with
# no data is not written.
#
# Every transport keeps one line style in every chart: a colour and a point
# type from its place in the CSV, a dash pattern from its family (ipc solid,
# net dash-dot, signals dotted); `limit` rows (memcpy, cacheline) are black
# dashed reference lines.  The paced bars (chart 6) are coloured by how the
# transport waits instead: spin, futex, semaphore, in the kernel, signals.

function size_label(b) {
    if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) " MiB"
    if (b >= 1024 && b % 1024 == 0) return (b / 1024) " KiB"
    return b " B"
}

function q(s) {                 # a gnuplot double-quoted string
    gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\n/, "\\n", s)
    return "\"" s "\""
}

function style(t,    k, fam, dt) {
    fam = FAM[t]
    if (fam == "limit")
        return "lc rgb '#000000' dt 2 lw 2.5"
    k = STYLE_IDX[t] - 1
    dt = fam == "net" ? 4 : (fam == "signals" ? 3 : 1)
    return sprintf("lc rgb '%s' dt %d lw 2 pt %d ps 1.1", COLOR[k % NCOLOR], dt,
                   PTYPE[int(k / NCOLOR) % NPTYPE])
}

# The common head of every chart script.
function head(name, title, w, h,    f) {
    f = OUT "/" name ".gp"
    printf "set encoding utf8\nset termoption noenhanced\n" > f
    printf "fmt(x) = x >= 100 ? sprintf('%%.0f', x) : sprintf('%%.3g', x)\n" > f
    printf "set title %s\n", q(title "\n" SUBTITLE) > f
    printf "set key outside right top vertical Left reverse samplen 4 spacing 1.1 font ',10' box lc rgb '#cccccc'\n" > f
    printf "set grid xtics ytics mxtics mytics lc rgb '#dddddd' lw 1\n" > f
    printf "set border lc rgb '#444444'\n" > f
    printf "set datafile missing '-'\n" > f
    print name, w, h > (OUT "/charts.list")
    return f
}

function size_tics(f,    i, s, first) {
    s = ""
    for (i = 1; i <= NSIZES; i++)
        s = s (i > 1 ? ", " : "") q(size_label(SIZES[i])) " " SIZES[i]
    printf "set xtics (%s) rotate by -30\n", s > f
    printf "set xrange [%g:%g]\n", SIZES[1] / 1.6, SIZES[NSIZES] * 1.6 > f
}

# Sort the numbers a[1..n] in place (n is small).
function isort(a, n,    i, j, x) {
    for (i = 2; i <= n; i++) {
        x = a[i]
        for (j = i - 1; j >= 1 && a[j] > x; j--)
            a[j + 1] = a[j]
        a[j + 1] = x
    }
}

function log10(x) { return log(x) / log(10) }
function floor10(x) { return 10 ^ int(log10(x) - (x < 1 ? 1 : 0)) }

# The figure a size chart draws for a row ("" when the row has none).
function figure(r, mode) {
    return mode == "latency" ? V[r, "rtt_p50_ns"] : V[r, "mb_per_s"]
}

# Charts 1 and 2: one line per transport over message size.
function size_chart(name, mode, pl, title, ylabel,    f, d, t, r, i, j, k, key,
                    blk, plot, have, jitter, ntp, x, cnt, sty) {
    # which transports have at least one ok point here
    ntp = 0
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        cnt = 0
        for (j = 1; j <= NSIZES; j++)
            if ((t SUBSEP mode SUBSEP SIZES[j] SUBSEP pl) in OKROW &&
                figure(OKROW[t, mode, SIZES[j], pl], mode) != "")
                cnt++
        if (cnt == 0 && FAM[t] == "limit" &&
            (t SUBSEP mode SUBSEP 0 SUBSEP pl) in OKROW &&
            figure(OKROW[t, mode, 0, pl], mode) != "")
            cnt = 1             # a size-less reference row
        if (cnt > 0)
            have[t] = cnt
        if (cnt > 0 && FAM[t] != "limit")
            ntp++
    }
    if (ntp == 0)
        return
    f = head(name, title, 1400, 820)
    d = OUT "/" name ".dat"
    size_tics(f)
    printf "set logscale x 2\nset logscale y 10\nset format y '%%g'\n" > f
    printf "set xlabel 'message size (log scale)'\nset ylabel %s\n", q(ylabel) > f
    blk = 0; plot = ""; k = 0
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        if (!have[t])
            continue
        if (FAM[t] != "limit")
            k++
        # whiskers of different transports side by side: a small shift in x
        jitter = mode == "latency" && FAM[t] != "limit" ? \
                 2 ^ ((k - (ntp + 1) / 2) * 0.6 / ntp) : 1
        if (have[t] == 1 && FAM[t] == "limit") {
            # one size only, or none (cacheline): a horizontal reference line
            for (j = 0; j <= NSIZES; j++) {
                key = t SUBSEP mode SUBSEP (j ? SIZES[j] : 0) SUBSEP pl
                if ((key in OKROW) && figure(OKROW[key], mode) != "")
                    r = OKROW[key]
            }
            x = mode == "latency" ? V[r, "rtt_p50_ns"] / 1000 : V[r, "mb_per_s"]
            plot = plot (plot == "" ? "" : ", \\\n     ") sprintf("%g with lines %s title %s", x, style(t), q(t (V[r, "size_bytes"] + 0 ? " " size_label(V[r, "size_bytes"]) : "") " (reference)"))
            continue
        }
        for (j = 1; j <= NSIZES; j++) {
            key = t SUBSEP mode SUBSEP SIZES[j] SUBSEP pl
            if (!(key in OKROW) || figure(OKROW[key], mode) == "")
                continue
            r = OKROW[key]
            if (mode == "latency")
                printf "%g %g %g %g\n", SIZES[j] * jitter, V[r, "rtt_p50_ns"] / 1000, V[r, "rtt_p50_ns"] / 1000, (V[r, "rtt_p99_ns"] == "" ? V[r, "rtt_p50_ns"] : V[r, "rtt_p99_ns"]) / 1000 > d
            else
                printf "%g %s\n", SIZES[j], V[r, "mb_per_s"] > d
        }
        printf "\n\n" > d
        if (FAM[t] == "limit")
            sty = "with lines " style(t)
        else
            sty = "with linespoints " style(t)
        plot = plot (plot == "" ? "" : ", \\\n     ") sprintf("%s index %d using 1:2 %s title %s", q(d), blk, sty, q(FAM[t] == "limit" ? t " (reference)" : t))
        if (mode == "latency" && FAM[t] != "limit")     # thin p99 whiskers
            plot = plot sprintf(", %s index %d using 1:2:(0):($4 - $2) with vectors nohead lc rgb '%s' lw 0.8 notitle", q(d), blk, COLOR[(STYLE_IDX[t] - 1) % NCOLOR])
        blk++
    }
    close(d)
    if (mode == "latency")
        printf "set bars small\n" > f
    printf "plot %s\n", plot > f
    close(f)
}

# Horizontal bars, one group per transport: B series (title BT[s], value
# BV[t, s]) drawn from `base` to the value on a log x axis.
function bar_chart(name, title, xlabel, nser, base, ref,    f, d, t, i, s, n, y,
                   lo, hi, v, tics, plot, h, off, col, b, nhi, nlo) {
    n = 0
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        for (s = 1; s <= nser; s++)
            if ((t SUBSEP s) in BV) {
                ROWS[++n] = t
                break
            }
    }
    if (n == 0)
        return
    lo = ""; hi = ""
    for (i = 1; i <= n; i++)
        for (s = 1; s <= nser; s++)
            if ((ROWS[i] SUBSEP s) in BV) {
                v = BV[ROWS[i], s] + 0
                if (lo == "" || v < lo) lo = v
                if (hi == "" || v > hi) hi = v
            }
    if (base != "" && base + 0 < lo) lo = base + 0
    if (base != "" && base + 0 > hi) hi = base + 0
    h = 170 + 26 * n * (nser > 1 ? 1.4 : 1)
    f = head(name, title, 1400, h < 520 ? 520 : h)
    d = OUT "/" name ".dat"
    tics = ""
    for (i = 1; i <= n; i++) {
        y = n - i + 1
        tics = tics (i > 1 ? ", " : "") q(ROWS[i]) " " y
        printf "%d", y > d
        for (s = 1; s <= nser; s++)
            printf " %s", ((ROWS[i] SUBSEP s) in BV) ? BV[ROWS[i], s] : "-" > d
        printf "\n" > d
    }
    close(d)
    printf "set ytics (%s) font ',10'\nset yrange [0.4:%g]\n", tics, n + 0.6 > f
    printf "unset mytics\nset grid noytics\n" > f
    printf "set logscale x 10\nset format x '%%g'\nset xlabel %s\n", q(xlabel) > f
    lo = floor10(lo) ; hi = hi * 4
    printf "set xrange [%g:%g]\n", lo, hi > f
    if (ref != "")
        printf "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb '#000000' dt 2 lw 1.5\n", ref, ref > f
    # gnuplot 5.4 crashes on a data set with no valid point after a valid
    # one: write only the plots that have points.
    plot = ""
    b = base == "" ? lo : base
    for (s = 1; s <= nser; s++) {
        nhi = nlo = 0
        for (i = 1; i <= n; i++)
            if ((ROWS[i] SUBSEP s) in BV) {
                if (BV[ROWS[i], s] >= b) nhi++; else nlo++
            }
        if (nhi + nlo == 0)
            continue
        off = nser == 1 ? 0 : ((nser + 1) / 2 - s) * 0.36
        col = s + 1
        plot = plot (plot != "" ? ", \\\n     " : "") \
            sprintf("%s using ($%d < %g ? $%d : %g):($1 + %g):($%d < %g ? $%d : %g):($%d < %g ? %g : $%d):($1 + %g - 0.17):($1 + %g + 0.17) with boxxyerror fs solid 0.75 border lc rgb '#333333' lc rgb '%s' title %s", \
                    q(d), col, b, col, b, off, col, b, col, b, col, b, b, col, off, off, SERIES_COLOR[s], q(BT[s]))
        if (nhi)
            plot = plot sprintf(", %s using ($%d >= %g ? $%d * 1.06 : NaN):($1 + %g):(fmt($%d)) with labels left font ',9' notitle", q(d), col, b, col, off, col)
        if (nlo)
            plot = plot sprintf(", %s using ($%d < %g ? $%d / 1.06 : NaN):($1 + %g):(fmt($%d)) with labels right font ',9' notitle", q(d), col, b, col, off, col)
    }
    printf "plot %s\n", plot > f
    close(f)
    split("", ROWS)
}

# Chart 5: the latency percentiles of every transport at one size.
function ladder_chart(name, pl, size, title,    f, d, t, i, r, key, plot, blk,
                      c, cols, j) {
    split("rtt_min_ns rtt_p50_ns rtt_p90_ns rtt_p99_ns rtt_p999_ns rtt_max_ns", cols, " ")
    blk = 0; plot = ""
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        key = t SUBSEP "latency" SUBSEP size SUBSEP pl
        if (!(key in OKROW) && FAM[t] == "limit")
            key = t SUBSEP "latency" SUBSEP 0 SUBSEP pl     # cacheline
        if (!(key in OKROW) || V[OKROW[key], "rtt_p50_ns"] == "")
            continue
        r = OKROW[key]
        if (blk == 0) {
            f = head(name, title, 1400, 820)
            d = OUT "/" name ".dat"
            printf "set xtics ('min' 1, 'p50' 2, 'p90' 3, 'p99' 4, 'p99.9' 5, 'max' 6)\nset xrange [0.7:6.3]\n" > f
            printf "set logscale y 10\nset format y '%%g'\nset xlabel 'percentile of the round trips of one run'\n" > f
            printf "set ylabel 'round-trip time (µs, log scale)'\n" > f
        }
        for (j = 1; j <= 6; j++)
            if (V[r, cols[j]] == "") printf "%d -\n", j > d; else printf "%d %g\n", j, V[r, cols[j]] / 1000 > d
        printf "\n\n" > d
        plot = plot (plot == "" ? "" : ", \\\n     ") sprintf("%s index %d using 1:2 with linespoints %s title %s", q(d), blk, style(t), q(t))
        blk++
    }
    if (blk == 0)
        return
    close(d)
    printf "plot %s\n", plot > f
    close(f)
}

# ns as µs for a label: "0.305", "34.9", "207".
function us(ns) { return ns / 1000 >= 100 ? sprintf("%.0f", ns / 1000) : sprintf("%.3g", ns / 1000) }

# An ok paced row of placement pl with both figures.
function paced_ok(r, pl) {
    return V[r, "mode"] == "paced" && V[r, "status"] == "ok" && V[r, "placement"] == pl &&
           V[r, "rtt_p50_ns"] != "" && V[r, "cpu_ns_per_msg"] + 0 > 0
}

# The rows of one placement's paced chart, cheapest in CPU first, in
# PROW[1..n] (returns n): one per transport, at 64 B (or the smallest size
# paced), size-less transports at 0.  Sets PSIZE, PIV (the interval of the
# first row that gives one, as its note does: "100 us"; "" if none does)
# and PIVSAY (the intervals when rows disagree, "" when they agree).
function paced_rows(pl,    r, t, i, j, n, s, x, tmp, seen) {
    PSIZE = ""
    for (r = 1; r <= NROWS; r++)
        if (paced_ok(r, pl) && (s = V[r, "size_bytes"] + 0) > 0 &&
            (PSIZE == "" || s == 64 || (PSIZE != 64 && s < PSIZE)))
            PSIZE = s
    n = 0
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        r = PSIZE != "" ? okrow(t, "paced", PSIZE, pl) : ""
        if (r == "")
            r = okrow(t, "paced", 0, pl)
        if (r != "" && paced_ok(r, pl))
            PROW[++n] = r
    }
    for (i = 2; i <= n; i++) {          # insertion sort by CPU, stable
        tmp = PROW[i]; x = V[tmp, "cpu_ns_per_msg"] + 0
        for (j = i - 1; j >= 1 && V[PROW[j], "cpu_ns_per_msg"] + 0 > x; j--)
            PROW[j + 1] = PROW[j]
        PROW[j + 1] = tmp
    }
    PIV = ""; PIVSAY = ""
    for (i = 1; i <= n; i++) {
        x = csv_every(PROW[i])
        if (x == "" || (x in seen))
            continue
        seen[x] = 1
        if (PIV == "")
            PIV = x
        PIVSAY = PIVSAY (PIVSAY == "" ? "" : ", ") csv_every_label(x)
    }
    if (PIVSAY !~ /,/)
        PIVSAY = ""
    return n
}

function paced_title(pl) {
    return "The price of waiting: one " (PSIZE != "" ? size_label(PSIZE) " " : "") \
           "round trip every " (PIV != "" ? csv_every_label(PIV) : "? (no row says)") \
           ", placement " pl \
           (PIVSAY != "" ? " (rows disagree on the interval: " PIVSAY "; the line uses " csv_every_label(PIV) ")" : "")
}

# How a transport waits: the colour of its bar in chart 6.
function wait_class(t) {
    if (t ~ /\/spin(\/|$)/) return 1
    if (t ~ /\/futex(\/|$)/) return 2
    if (t ~ /\/sem(\/|$)/) return 3
    if (FAM[t] == "signals") return 5
    return 4
}

# Chart 6: the paced rows of one placement (one round trip every interval),
# horizontal bars of CPU time per round trip, cheapest on top, coloured by
# how the transport waits, the round-trip p50 printed at each bar's end; a
# dashed line at one interval: what one CPU busy all the time costs (the
# receiver of a /spin variant polls from one message to the next while the
# sender sleeps until its slot).
# Bars, not a scatter of CPU against round trip: the sleeping transports
# sit in one tight cluster there, where a label per point cannot be read.
function paced_chart(name, pl,    n, i, r, f, d, y, lo, x, tics, plot, k, have, ref, lab, span, len, bar) {
    n = paced_rows(pl)
    if (n == 0)
        return
    f = head(name, paced_title(pl), 1400, (170 + 26 * n) < 520 ? 520 : 170 + 26 * n)
    d = OUT "/" name ".dat"
    lo = ""; tics = ""
    for (i = 1; i <= n; i++) {
        r = PROW[i]; y = n - i + 1
        bar[i] = x = V[r, "cpu_ns_per_msg"] / 1000
        if (lo == "" || x < lo) lo = x
        tics = tics (i > 1 ? ", " : "") q(V[r, "transport"]) " " y
        have[wait_class(V[r, "transport"])] = 1
        lab = us(V[r, "cpu_ns_per_msg"]) " µs CPU, RTT p50 " us(V[r, "rtt_p50_ns"]) " µs" \
              (csv_every(r) != "" && V[r, "rtt_p50_ns"] + 0 > csv_every_ns(csv_every(r)) ? " (longer than the interval: back to back)" : "")
        len[i] = length(lab)
        printf "%d %g %g %d %s\n", y, x, V[r, "rtt_p50_ns"] / 1000, wait_class(V[r, "transport"]), q(lab) > d
    }
    close(d)
    ref = PIV != "" ? csv_every_ns(PIV) / 1000 : ""
    lab = "one CPU busy the whole interval (" csv_every_label(PIV) ")"
    # one empty row on top, for the label of the reference line
    printf "set ytics (%s) font ',10'\nset yrange [0.4:%g]\n", tics, n + 1.6 > f
    printf "unset mytics\nset grid noytics\n" > f
    printf "set style textbox opaque noborder margins 1, 1\n" > f
    printf "set logscale x 10\nset format x '%%g'\n" > f
    printf "set xlabel 'CPU time per round trip (µs, user + system of both processes, log scale)'\n" > f
    # decades on the x axis: room on the right of every bar and of the
    # reference line for its label (a character: some 1/120 of the width)
    lo = floor10(lo)
    span = 1
    for (i = 1; i <= n; i++)
        if ((x = log10(bar[i] * 1.08 / lo) / (1 - len[i] / 120)) > span)
            span = x
    if (ref != "" && (x = log10(ref / lo) / (1 - length(lab) / 120)) > span)
        span = x
    printf "set xrange [%g:%g]\n", lo, lo * 10 ^ span > f
    if (ref != "") {
        printf "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb '#000000' dt 2 lw 1.5 back\n", ref, ref > f
        printf "set label %s at %g, %g left offset 0.5, 0 font ',10' front\n", q(lab), ref, n + 1 > f
    }
    plot = ""
    for (k = 1; k <= 5; k++)
        if (k in have)
            plot = plot (plot != "" ? ", \\\n     " : "") \
                sprintf("%s using ($4 == %d ? $2 : NaN):1:(%g):2:($1 - 0.34):($1 + 0.34) with boxxyerror fs solid 0.8 border lc rgb '#333333' lc rgb '%s' title %s",
                        q(d), k, lo, WAIT_COLOR[k], q(WAIT_NAME[k]))
    plot = plot sprintf(", \\\n     %s using ($2 * 1.08):1:5 with labels left boxed font ',9' notitle", q(d))
    printf "plot %s\n", plot > f
    close(f)
    split("", PROW)
}

function has_place(pl) { return pl in PLACES }

# The row of one ok cell, "" when there is none (without creating it).
function okrow(t, m, s, pl) {
    return ((t SUBSEP m SUBSEP s SUBSEP pl) in OKROW) ? OKROW[t, m, s, pl] : ""
}

END {
    split("#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf", COLOR, " ")
    NCOLOR = 10
    for (i = 0; i < NCOLOR; i++) COLOR[i] = COLOR[i + 1]
    split("7 5 9 11 13 1 2 3", PTYPE, " ")
    NPTYPE = 8
    for (i = 0; i < NPTYPE; i++) PTYPE[i] = PTYPE[i + 1]
    SERIES_COLOR[1] = "#4e79a7"; SERIES_COLOR[2] = "#f28e2b"
    split("spins (busy-polls)|futex (polls, then sleeps)|semaphore (sleeps in sem_wait)|" \
          "sleeps in the kernel (pipes, sockets, queues)|signals", WAIT_NAME, "|")
    split("#d62728 #1f77b4 #9467bd #7f7f7f #2ca02c", WAIT_COLOR, " ")     # by wait_class()

    NTP = 0; NSIZES = 0; NPL = 0; nstyle = 0
    for (r = 1; r <= NROWS; r++) {
        t = V[r, "transport"]
        if (!(t in FAM)) {
            TP[++NTP] = t
            FAM[t] = V[r, "family"]
            if (FAM[t] != "limit")
                STYLE_IDX[t] = ++nstyle
        }
        pl = V[r, "placement"]
        if (!(pl in PLACES)) {
            PLACES[pl] = 1
            PL[++NPL] = pl
        }
        s = V[r, "size_bytes"] + 0
        if (V[r, "status"] != "ok")
            continue
        if (s > 0 && !(s in SEEN_SIZE)) {
            SEEN_SIZE[s] = 1
            SIZES[++NSIZES] = s
        }
        OKROW[t, V[r, "mode"], s, pl] = r
    }
    isort(SIZES, NSIZES)

    for (p = 1; p <= NPL; p++) {
        pl = PL[p]
        size_chart("throughput-" pl, "throughput", pl,
                   "Throughput vs message size, placement " pl,
                   "throughput (MB/s = 10^6 bytes/s, log scale)")
        size_chart("latency-" pl, "latency", pl,
                   "Round-trip latency vs message size, placement " pl " (line: p50, whisker: p99)",
                   "round-trip time (µs, log scale)")
    }

    # Chart 3: CPU per message at 64 B (both modes), placement spread.
    cpl = has_place("spread") ? "spread" : PL[1]
    cs = (64 in SEEN_SIZE) ? 64 : SIZES[1]
    BT[1] = "throughput mode"; BT[2] = "latency mode (per round trip)"
    for (i = 1; i <= NTP; i++) {
        t = TP[i]
        for (s = 1; s <= 2; s++) {
            m = s == 1 ? "throughput" : "latency"
            key = t SUBSEP m SUBSEP cs SUBSEP cpl
            if (!(key in OKROW))
                key = t SUBSEP m SUBSEP 0 SUBSEP cpl
            if ((key in OKROW) && V[OKROW[key], "cpu_ns_per_msg"] + 0 > 0)
                BV[t, s] = V[OKROW[key], "cpu_ns_per_msg"] + 0
        }
    }
    bar_chart("cpu-per-msg", "CPU time per message at " size_label(cs) ", placement " cpl " (user + system, both processes; spinning shows here)",
              "CPU time per message (ns, log scale)", 2, "", "")
    split("", BV)

    # Chart 4: same CPU vs spread, as a speed-up of same over spread.
    if (has_place("same") && has_place("spread")) {
        BT[1] = "latency at 64 B (spread p50 / same p50)"
        BT[2] = "throughput at 64 KiB (same MB/s / spread MB/s)"
        for (i = 1; i <= NTP; i++) {
            t = TP[i]
            a = okrow(t, "latency", 64, "spread"); b = okrow(t, "latency", 64, "same")
            if (a != "" && b != "" && V[a, "rtt_p50_ns"] + 0 > 0 && V[b, "rtt_p50_ns"] + 0 > 0)
                BV[t, 1] = V[a, "rtt_p50_ns"] / V[b, "rtt_p50_ns"]
            a = okrow(t, "throughput", 65536, "spread"); b = okrow(t, "throughput", 65536, "same")
            if (a != "" && b != "" && V[a, "mb_per_s"] + 0 > 0 && V[b, "mb_per_s"] + 0 > 0)
                BV[t, 2] = V[b, "mb_per_s"] / V[a, "mb_per_s"]
        }
        bar_chart("same-vs-spread", "Same CPU vs two CPUs: speed on one CPU relative to two (> 1: one CPU is faster)",
                  "speed-up on one CPU (ratio, log scale; 1 = no difference)", 2, 1, 1)
        split("", BV)
    }

    # Chart 5: latency percentiles at 64 B.
    for (p = 1; p <= NPL; p++)
        ladder_chart("latency-ladder-" PL[p], PL[p], 64,
                     "Round-trip latency percentiles at 64 B, placement " PL[p])

    # Chart 6: paced rows, what waiting costs.
    for (p = 1; p <= NPL; p++)
        paced_chart("paced-" PL[p], PL[p])
}
