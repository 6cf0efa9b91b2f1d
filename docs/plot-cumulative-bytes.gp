set datafile separator ','
set terminal pngcairo size 900,450
set output 'cumulative-bytes.png'
set key left top
set xlabel 'time since first packet (s)'
set ylabel 'payload bytes'
set title 'path-down.pcap: bytes per subflow (path 2 goes down at 0.7 s)'
plot for [s in "0 1 2"] 'out/series_subflow_cumulative_bytes.csv' using 3:(stringcolumn(2) eq s ? $4 : 1/0) with steps title 'tcp.stream '.s, \
     'out/series_connection_cumulative_bytes.csv' using 3:(stringcolumn(2) eq 'c2s' ? $4 : 1/0) with steps lw 2 title 'connection (data level, c2s)'
