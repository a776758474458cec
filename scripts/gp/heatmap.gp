# heatmap.gp - speed relative to pipe, transport x message size: each cell
# coloured by log2 of (figure / pipe's figure at that size), blue faster,
# red slower, the ratio printed in the cell.
#
# Variables (scripts/plots): gpdir, title, data (x, y, log2 ratio,
# "label"), xnames, ynames (word lists), nx, ny, cbmax.
load gpdir.'/common.gp'
unset key
unset grid
set xrange [0.5:nx + 0.5]
set yrange [0.5:ny + 0.5]
set xtics () rotate by -30 font ',10'
do for [k=1:words(xnames)] { set xtics add (word(xnames, k) k) }
set ytics () font ',10'
do for [k=1:words(ynames)] { set ytics add (word(ynames, k) ny - k + 1) }
set tics scale 0
set palette defined (-1 '#b2182b', 0 '#f7f7f7', 1 '#2166ac')
set cbrange [-cbmax:cbmax]
set cblabel 'log2 of the speed relative to pipe (> 0: faster)'
set title title
plot data using 1:2:3 with image, data using 1:2:4 with labels font ',8'
