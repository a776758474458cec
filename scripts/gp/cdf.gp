# cdf.gp - the distribution of round-trip times from raw samples
# (`ipclab run --samples FILE`): for each transport, the fraction of round
# trips at or under each time, one line per transport in its own colour.
# The x axis is logarithmic so that a microsecond and a millisecond tail
# both show; a line that climbs steeply is a steady transport, a long
# flat top is its tail.
#
# Variables (scripts/plots): gpdir, title, data (one block per transport:
# round trip in µs, cumulative fraction), names, colours (word lists).
load gpdir.'/common.gp'
set logscale x 10
set format x '%g'
set yrange [0:1]
set ytics 0.1
set xlabel 'round-trip time (µs, log scale)'
set ylabel 'fraction of round trips at or under it'
set title title
set key inside right bottom font ',9' opaque box lc rgb '#cccccc'
plot for [i=1:words(names)] data index (i - 1) using 1:2 with lines \
     lc rgb word(colours, i) lw 2 title word(names, i)
