# Per-tenant vGPU shares over time with the target shares as dashed lines.
# usage: gnuplot -e "data='shares.dat'; out='shares.png'" bench/plot_shares.gp
# data: one row per window: time_s share_w1 share_w2 share_w4 (percent),
# header comment line "# t <name1> <name2> <name3> target1 target2 target3".
set terminal pngcairo size 900,500 font ",11"
set output out
set title "vGPU time share per tenant (weights 1:2:4), 1 s windows"
set xlabel "time (s)"
set ylabel "share of device time (%)"
set yrange [0:80]
set key outside right
set grid ytics
stats data using 1 nooutput
set xrange [STATS_min - 0.5 : STATS_max + 0.5]
plot data using 1:2 with linespoints lw 2 lc rgb "#1b9e77" title "weight 1", \
     data using 1:3 with linespoints lw 2 lc rgb "#d95f02" title "weight 2", \
     data using 1:4 with linespoints lw 2 lc rgb "#7570b3" title "weight 4", \
     100.0/7 with lines dt 2 lw 1.5 lc rgb "#1b9e77" title "target 14.3%", \
     200.0/7 with lines dt 2 lw 1.5 lc rgb "#d95f02" title "target 28.6%", \
     400.0/7 with lines dt 2 lw 1.5 lc rgb "#7570b3" title "target 57.1%"
