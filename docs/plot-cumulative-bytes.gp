# Cumulative payload bytes per subflow, and the connection's data level, from `analyze --csv`.
# Works on any capture:
#   mpcap analyze --csv out/ capture.pcap && gnuplot docs/plot-cumulative-bytes.gp
#   gnuplot -e "dir='out'; conn=2; png='conn2.png'" docs/plot-cumulative-bytes.gp
# dir: the --csv directory (default out), conn: the connection (mptcp.stream, default 0),
# png: the picture to write (default cumulative-bytes.png).
if (!exists("dir")) dir = 'out'
if (!exists("conn")) conn = 0
if (!exists("png")) png = 'cumulative-bytes.png'
sub = dir.'/series_subflow_cumulative_bytes.csv'
con = dir.'/series_connection_cumulative_bytes.csv'
# the connection's subflows (tcp.stream), as the CSV lists them
streams = system(sprintf("awk -F, 'NR > 1 && $1 == %d { print $2 }' '%s' | sort -un | tr '\\n' ' '", conn, sub))
if (strlen(streams) == 0) {
  print sprintf("no subflow series for connection %d in %s (see connections.csv)", conn, sub)
  exit status 1
}
set datafile separator ','
set terminal pngcairo size 900,450
set output png
set key left top
set xlabel 'time since first packet (s)'
set ylabel 'payload bytes'
set title sprintf('MPTCP connection %d: payload bytes per subflow (%s)', conn, dir) noenhanced
plot for [s in streams] sub using 3:((column(1) == conn && stringcolumn(2) eq s) ? $4 : 1/0) with steps title 'tcp.stream '.s, \
     con using 3:((column(1) == conn && stringcolumn(2) eq 'c2s') ? $4 : 1/0) with steps lw 2 title 'connection (data level, c2s)'
