# compare.awk - the ratio B/A of every cell two runs share.
#
# Run after csv.awk on two files, A then B (see scripts/compare).
# Variables: CSVOUT (1: CSV instead of the aligned table), NAME_A, NAME_B.
# A cell is transport, mode, size_bytes, placement; its figure is the
# row's main metric (median of the reps).  A change is flagged when
# |B/A - 1| is larger than the larger of the two rows' spreads, a row's
# spread being (max - min) / median across its reps (cv_pct when min or max
# is missing).  Direction: higher is better for MB/s and msgs/s, lower for
# round-trip times (ns: latency and paced cells alike).  Paced cells paced
# at different intervals (the "paced: one round trip every N us" note) are
# not compared.

function spread(r,    m) {
    m = V[r, "median"] + 0
    if (m > 0 && V[r, "min"] != "" && V[r, "max"] != "")
        return (V[r, "max"] - V[r, "min"]) / m
    if (V[r, "cv_pct"] != "")
        return V[r, "cv_pct"] / 100
    return 0
}
function unit(metric) {
    if (metric == "mb_per_s") return "MB/s"
    if (metric ~ /_ns$/) return "ns"
    if (metric == "msgs_per_s") return "msgs/s"
    return metric
}
function size_label(b) {
    if (b >= 1048576 && b % 1048576 == 0) return (b / 1048576) "M"
    if (b >= 1024 && b % 1024 == 0) return (b / 1024) "K"
    return b
}
function out(t, m, s, pl, metric, a, b, ratio, verdict) {
    if (CSVOUT)
        printf "%s,%s,%s,%s,%s,%s,%s,%s,\"%s\"\n", t, m, s, pl, metric, a, b, ratio, verdict
    else
        printf "%-24s %-10s %6s %-7s %-7s %12s %12s %7s  %s\n", t, m, s ~ /^[0-9]+$/ ? size_label(s) : s, pl, metric ~ /_/ ? unit(metric) : metric, a, b, ratio, verdict
}
function num(x) { return x == "" ? "-" : (x + 0 >= 1000 ? sprintf("%.0f", x) : sprintf("%.4g", x)) }

END {
    if (csv_rows_in[1] == 0 || csv_rows_in[2] == 0) {
        printf "%s: %s: no data rows\n", PROG, csv_rows_in[1] == 0 ? NAME_A : NAME_B > "/dev/stderr"
        exit 2
    }
    n = 0
    for (r = 1; r <= NROWS; r++) {
        k = V[r, "transport"] SUBSEP V[r, "mode"] SUBSEP (V[r, "size_bytes"] + 0) SUBSEP V[r, "placement"]
        if (V[r, "_file"] == 1) {
            if (!(k in A)) ORDER[++n] = k
            A[k] = r
        } else {
            if (!(k in A) && !(k in B)) ORDER[++n] = k
            B[k] = r
        }
    }
    if (CSVOUT)
        print "transport,mode,size_bytes,placement,metric,a,b,ratio_b_over_a,verdict"
    else {
        printf "A = %s\nB = %s\nratio = B/A of each row's figure (median of its reps); flagged when the\nchange is larger than the larger spread (max-min)/median of the two rows\n\n", NAME_A, NAME_B
        out("transport", "mode", "size", "place", "unit", "A", "B", "B/A", "change")
    }
    better = worse = same = other = 0
    for (i = 1; i <= n; i++) {
        k = ORDER[i]
        split(k, kk, SUBSEP)
        a = (k in A) ? A[k] : ""; b = (k in B) ? B[k] : ""
        metric = V[a != "" ? a : b, "metric"]
        if (a == "" || b == "") {
            out(kk[1], kk[2], kk[3], kk[4], metric, a == "" ? "-" : num(V[a, "median"]),
                b == "" ? "-" : num(V[b, "median"]), "-", a == "" ? "only in B" : "only in A")
            other++
            continue
        }
        if (V[a, "status"] != "ok" || V[b, "status"] != "ok" || !(V[a, "median"] + 0 > 0) || V[b, "median"] == "") {
            verdict = "A " V[a, "status"] ", B " V[b, "status"]
            if (V[b, "status"] != "ok" && V[b, "note"] != "") verdict = verdict " (" V[b, "note"] ")"
            else if (V[a, "status"] != "ok" && V[a, "note"] != "") verdict = verdict " (" V[a, "note"] ")"
            out(kk[1], kk[2], kk[3], kk[4], metric, V[a, "status"] == "ok" ? num(V[a, "median"]) : V[a, "status"],
                V[b, "status"] == "ok" ? num(V[b, "median"]) : V[b, "status"], "-", verdict)
            other++
            continue
        }
        if (csv_every(a) != "" && csv_every(b) != "" && csv_every(a) != csv_every(b)) {
            out(kk[1], kk[2], kk[3], kk[4], metric, num(V[a, "median"]), num(V[b, "median"]), "-",
                "paced every " csv_every(a) " in A, every " csv_every(b) " in B")
            other++
            continue
        }
        ratio = V[b, "median"] / V[a, "median"]
        lim = spread(a); if (spread(b) > lim) lim = spread(b)
        d = ratio - 1; if (d < 0) d = -d
        if (d > lim) {
            up = metric ~ /_ns$/ ? ratio < 1 : ratio > 1
            verdict = sprintf("%s %+.0f%% (spread %.0f%%)", up ? "BETTER" : "WORSE", 100 * (ratio - 1), 100 * lim)
            if (up) better++; else worse++
        } else {
            verdict = sprintf("~ within spread %.0f%%", 100 * lim)
            same++
        }
        out(kk[1], kk[2], kk[3], kk[4], metric, num(V[a, "median"]), num(V[b, "median"]), sprintf("%.3f", ratio), verdict)
    }
    if (!CSVOUT)
        printf "\n%d cells: %d better, %d worse, %d within spread, %d not comparable (failed, n/a, in one run only or paced at another interval)\n", n, better, worse, same, other
}
