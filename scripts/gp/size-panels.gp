# size-panels.gp - small multiples over message size: one panel per family
# (shared memory, sockets, pipes and queues, net ...), one line per
# transport in its own colour and marker, the reference (memcpy or
# cacheline) dashed in black in every panel, only at the sizes where it was
# measured; all panels on the same axes so they compare at a glance.
#
# Variables (scripts/plots): gpdir, title, ylabel, npanels, layout_rows,
# layout_cols, xmin, xmax, ymin, ymax, sizes, size_labels (word lists),
# whiskers (1: column 4 is the p99 end of a whisker), refdata, reftitle
# ("" = none), and per panel p: panel_title_p, data_p (blocks, one per
# transport: size, figure, figure, whisker end), names_p, colours_p,
# points_p (word lists, one word per block); xlabel (optional: the x axis
# is message size unless it says otherwise).
load gpdir.'/common.gp'
set logscale x 2
set logscale y 10
set format y '%g'
set xrange [xmin:xmax]
if (exists('xlabel')) { set xlabel xlabel font ',10' }
set yrange [ymin:ymax]
set xtics () rotate by -30 font ',9'
do for [k=1:words(sizes)] { set xtics add (word(size_labels, k) word(sizes, k) + 0) }
set key inside left top vertical Left reverse samplen 2 spacing 1.0 font ',9' opaque box lc rgb '#cccccc'
set bars small
set multiplot layout layout_rows, layout_cols title title font ',13'
do for [p=1:npanels] {
    set title value(sprintf('panel_title_%d', p)) font ',12'
    set ylabel (p % layout_cols == 1 || layout_cols == 1 ? ylabel : '')
    f = value(sprintf('data_%d', p))
    names = value(sprintf('names_%d', p))
    colours = value(sprintf('colours_%d', p))
    points = value(sprintf('points_%d', p))
    cmd = "plot for [i=1:words(names)] f index (i - 1) using 1:2 with linespoints " . \
          "lc rgb word(colours, i) pt (word(points, i) + 0) ps 1.0 lw 2 title word(names, i)"
    if (whiskers) {
        cmd = cmd . ", for [i=1:words(names)] f index (i - 1) using 1:2:2:4 with yerrorbars " . \
                    "lc rgb word(colours, i) ps 0 lw 0.8 notitle"
    }
    if (reftitle ne '') {
        cmd = cmd . ", refdata using 1:2 with linespoints lc rgb '#000000' dt 2 lw 2 pt 6 ps 1.2 title reftitle"
    }
    eval cmd
}
unset multiplot
