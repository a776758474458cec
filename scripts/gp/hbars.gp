# hbars.gp - horizontal bars on a log x axis, one row per transport, best
# or cheapest on top: the ranked chart of a one-size run, CPU per message,
# one CPU vs two, the price of waiting (paced).
#
# Variables (scripts/plots): gpdir, title, xlabel, data, nrows, ynames
# (word list, top row first), xmin, xmax, base (where bars start: xmin, or
# 1 for ratios), series (word list of the series drawn: 1, 2 ...), nseries,
# legend_n and legend_title_k, legend_colour_k (k = 1..legend_n; 0: no
# key), ref (x of a dashed vertical line; 0: none), reflabel (its label,
# on an empty top row).
# data: one line per row: y, then per series s three columns: the value
# ('-' when none), its colour as an integer 0xRRGGBB, and its label
# ("quoted"; drawn by labels.gp, one `set label` per bar, at the bar's
# end: right of it when the value is at or above base, left when below).
load gpdir.'/common.gp'
set logscale x 10
set format x '%g'
set xrange [xmin:xmax]
set yrange [0.4:nrows + (ref > 0 ? 1.6 : 0.6)]
set ytics () font ',10'
do for [k=1:words(ynames)] { set ytics add (word(ynames, k) nrows - k + 1) }
unset mytics
set grid noytics
set xlabel xlabel
set title title
set key outside top center horizontal Left reverse samplen 2 font ',10' box lc rgb '#cccccc' maxcols 3
if (legend_n == 0) { unset key }
if (ref > 0) {
    set arrow from ref, graph 0 to ref, graph 1 nohead lc rgb '#000000' dt 2 lw 1.5 back
    set label reflabel at ref, nrows + 1 left offset 0.5, 0 font ',10' front
}
half = nseries == 1 ? 0.34 : 0.17
off(s) = nseries == 1 ? 0 : ((nseries + 1) / 2.0 - s) * 0.36
lo(v) = v < base ? v : base
hi(v) = v < base ? base : v
cmd = "plot for [s in series] data using (hi(column(3*s-1))):($1 + off(s+0)):(lo(column(3*s-1))):" . \
      "(hi(column(3*s-1))):($1 + off(s+0) - half):($1 + off(s+0) + half):(column(3*s)) " . \
      "with boxxyerror fs solid 0.8 border lc rgb '#333333' lc rgb variable notitle"
# Each bar's label, at its end, as a `set label` of its own (labels.gp):
# a labels plot with no point in it crashes gnuplot 5.4 on a one-line file.
load datadir.'/labels.gp'
do for [k=1:legend_n] {
    cmd = cmd . sprintf(", NaN with boxes fs solid 0.8 lc rgb '%s' title value('legend_title_%d')", \
                        value(sprintf('legend_colour_%d', k)), k)
}
eval cmd
