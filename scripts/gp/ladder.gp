# ladder.gp - the latency percentiles of every transport at one size:
# min, p50, p90, p99, p99.9, max on the x axis, one line per transport in
# its own colour and marker.  A percentile the runs had too few round trips
# for is missing ('-'): the line stops there.
#
# Variables (scripts/plots): gpdir, title, data (one block per transport:
# position 1..6, round trip in µs), names, colours, points (word lists).
load gpdir.'/common.gp'
set xtics ('min' 1, 'p50' 2, 'p90' 3, 'p99' 4, 'p99.9' 5, 'max' 6)
set xrange [0.7:6.3]
set logscale y 10
set format y '%g'
set xlabel 'percentile of the round trips of one run (shown only with enough round trips)'
set ylabel 'round-trip time (µs, log scale)'
set title title
set key font ',9'
plot for [i=1:words(names)] data index (i - 1) using 1:2 with linespoints \
     lc rgb word(colours, i) pt (word(points, i) + 0) lw 2 title word(names, i)
