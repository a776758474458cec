# common.gp - the look every ipclab chart shares.  Loaded first by each
# chart file; scripts/plots has already set the terminal, the output and
# the chart's variables (see the chart file's header).
set encoding utf8
set termoption noenhanced           # transport names keep their underscores
set key outside right top vertical Left reverse samplen 3 spacing 1.05 font ',10' box lc rgb '#cccccc'
set grid xtics ytics mxtics mytics lc rgb '#dddddd' lw 1
set border lc rgb '#444444'
set datafile missing '-'
set style textbox opaque noborder margins 1, 1
