# csv.awk - read the results.csv that `ipclab run --csv` writes.
#
# Shared by scripts/plots, scripts/report and scripts/compare; give it first:
#     awk -v PROG=plots -f scripts/lib/csv.awk -f scripts/lib/plots.awk FILE
#
# Columns are found by name in the header row, so a column added later
# breaks nothing.  Fields may be CSV-quoted ("a, b" and "say ""x""").  After
# the input is read, the program's END block finds:
#     NROWS              data rows, numbered 1..NROWS in file order
#     V[r, "column"]     the field ("" = not applicable)
# and csv_every() for the interval of a paced row.
# A malformed or empty file is refused here, before the program's END runs:
# one line "PROG: FILE: line N: what is wrong" on stderr, exit status 2.

function csv_split(line, out,    n, i, c, f, inq, len) {
    if (index(line, "\"") == 0)
        return split(line, out, ",")
    n = 0; f = ""; inq = 0; len = length(line)
    for (i = 1; i <= len; i++) {
        c = substr(line, i, 1)
        if (inq) {
            if (c != "\"")
                f = f c
            else if (substr(line, i + 1, 1) == "\"") {
                f = f "\""; i++
            } else
                inq = 0
        } else if (c == "\"")
            inq = 1
        else if (c == ",") {
            out[++n] = f; f = ""
        } else
            f = f c
    }
    out[++n] = f
    return inq ? -1 : n
}

function csv_fail(msg) {
    if (!csv_failed)
        printf "%s: %s: %s\n", PROG, CSV_FILE != "" ? CSV_FILE : FILENAME, msg \
            > "/dev/stderr"
    csv_failed = 1
    exit 2
}

function csv_numeric(s) {
    return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
}

# A paced row's note starts with its interval: "paced: one round trip every
# 100 us; ...".  csv_every(r) is that interval as written ("100 us"; "" for
# other rows and when the note does not say), csv_every_ns(e) the same in
# ns, csv_every_label(e) the same for people ("100 µs").
function csv_every(r,    e) {
    if (V[r, "mode"] != "paced" ||
        !match(V[r, "note"], /^paced: one round trip every [0-9]+ (ns|us|µs|ms|s)([;,. ]|$)/))
        return ""
    e = substr(V[r, "note"], 29, RLENGTH - 28)
    sub(/[;,. ]$/, "", e)
    return e
}
function csv_every_ns(e,    u) {
    u = e; sub(/^[0-9]+ /, "", u)
    return (e + 0) * (u == "ns" ? 1 : u == "ms" ? 1e6 : u == "s" ? 1e9 : 1000)
}
function csv_every_label(e) { sub(/ us$/, " µs", e); return e }

BEGIN {
    if (PROG == "")
        PROG = "ipclab"
    # Every column the scripts read; the harness writes more.
    CSV_NEED = "transport family mode size_bytes placement status metric " \
               "median min max cv_pct mb_per_s msgs_per_s rtt_min_ns " \
               "rtt_p50_ns rtt_p90_ns rtt_p99_ns rtt_p999_ns rtt_max_ns " \
               "cpu_ns_per_msg verified note"
    CSV_NUM = "size_bytes median min max cv_pct mb_per_s msgs_per_s " \
              "rtt_min_ns rtt_p50_ns rtt_p90_ns rtt_p99_ns rtt_p999_ns " \
              "rtt_max_ns cpu_ns_per_msg"
    split(CSV_NUM, csv_numcols, " ")
    NROWS = 0
}

{ sub(/\r$/, "") }

FNR == 1 {
    csv_fileno++
    split("", csv_col)
    if ($0 == "")
        csv_fail("line 1: empty, expected the header row (transport,family,...)")
    csv_ncols = csv_split($0, csv_header)
    if (csv_ncols < 0)
        csv_fail("line 1: unterminated quote in the header row")
    for (csv_i = 1; csv_i <= csv_ncols; csv_i++)
        csv_col[csv_header[csv_i]] = csv_i
    csv_n = split(CSV_NEED, csv_need, " ")
    for (csv_i = 1; csv_i <= csv_n; csv_i++)
        if (!(csv_need[csv_i] in csv_col))
            csv_fail("line 1: not an ipclab results header: no column \"" \
                     csv_need[csv_i] "\"")
    next
}

/^[ \t]*$/ { next }

{
    csv_n = csv_split($0, csv_f)
    if (csv_n < 0)
        csv_fail("line " FNR ": unterminated quote")
    if (csv_n != csv_ncols)
        csv_fail("line " FNR ": " csv_n " fields, the header has " csv_ncols)
    csv_r = ++NROWS
    V[csv_r, "_file"] = csv_fileno
    csv_rows_in[csv_fileno]++
    for (csv_i = 1; csv_i <= csv_ncols; csv_i++)
        V[csv_r, csv_header[csv_i]] = csv_f[csv_i]
    for (csv_i in csv_numcols) {
        csv_c = csv_numcols[csv_i]
        csv_x = V[csv_r, csv_c]
        if (csv_x ~ /^[-+]?(nan|inf)$/)
            V[csv_r, csv_c] = csv_x = ""
        if (csv_x != "" && !csv_numeric(csv_x))
            csv_fail("line " FNR ": column " csv_c " is \"" csv_x "\", not a number")
    }
    if (V[csv_r, "transport"] == "")
        csv_fail("line " FNR ": empty transport name")
    if (V[csv_r, "mode"] !~ /^(throughput|latency|paced)$/)
        csv_fail("line " FNR ": mode is \"" V[csv_r, "mode"] \
                 "\", expected throughput, latency or paced")
    if (V[csv_r, "status"] !~ /^(ok|failed|n\/a)$/)
        csv_fail("line " FNR ": status is \"" V[csv_r, "status"] \
                 "\", expected ok, failed or n/a")
}

END {
    if (csv_failed)
        exit 2
    if (NR == 0)
        csv_fail("empty file, expected an ipclab results CSV")
    if (NROWS == 0)
        csv_fail("no data rows after the header")
}
