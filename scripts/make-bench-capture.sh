#!/usr/bin/env bash
# make-bench-capture.sh — a large, real MPTCP capture for scripts/bench.mjs.
#
# Usage (as root):
#   scripts/make-bench-capture.sh OUT.pcap [BYTES|large|small]
#
#   large (default)  900000000 bytes sent  -> about 1.0 GB of pcap, ~720k packets
#   small            180000000 bytes sent  -> about 200 MB of pcap, ~160k packets
#   BYTES            any byte count; the pcap is about 1.1 x BYTES (headers, ACKs, SLL2)
#
# One MPTCP v1 connection (Linux in-kernel path manager) from a client to a server over 3 paths,
# made by scripts/mptcp-scenario.sh with:
#   RATES="2000 2000 2000"  DELAYS="5 5 5"  OFFLOAD=0 (every captured packet is one wire-sized
#   segment, MSS ~1448)  full snap length (payloads kept, so `mpcap extract` has the bytes),
#   captured at the server (Linux cooked capture v2, -i any).
# The 2000 mbit shapers are not the limit: on a 2-core VM the transfer runs at ~50-60 MB/s, bound by
# the CPU (no segmentation offload), so the large capture takes ~20-30 s plus ~10 s of set-up.
#
# Capture: the scenario's default capturer is `tcpdump -U` with the default 2 MiB ring, which drops
# tens of thousands of packets at these rates (the scenario then fails, as it should). So this script
# passes CAPTURE_CMD: tcpdump with a 512 MiB ring (-B) and buffered writes (no -U), stopped with
# SIGINT one second after the last established subflow on port 5201 is gone. tcpdump's
# "N packets dropped by kernel" line still goes to the scenario's log, and the scenario still
# refuses a capture with drops.
#
# Outputs OUT.pcap and OUT.json (the scenario's sidecar: knobs, packet count, SHA-256, ...).
# Keep the captures out of the repository (e.g. /tmp/mpcap-bench/).
set -euo pipefail
die() { echo "make-bench-capture: $*" >&2; exit 1; }
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
out=$1; size=${2:-large}
case $size in
  large) bytes=900000000 ;;
  small) bytes=180000000 ;;
  *) [[ $size =~ ^[0-9]+$ ]] || die "BYTES must be a byte count, 'large' or 'small', got '$size'"; bytes=$size ;;
esac
[ "$(id -u)" = 0 ] || die "needs root (the scenario uses network namespaces)"
here=$(cd -- "$(dirname -- "$0")" && pwd)
dir=$(dirname -- "$out")
mkdir -p -- "$dir"
# need ~1.1 x bytes for the pcap, plus room to spare
avail=$(df -Pk -- "$dir" | awk 'NR==2 {print $4}')
need=$(( bytes / 1024 * 12 / 10 + 102400 ))
[ "$avail" -ge "$need" ] || die "not enough space in $dir: ${avail} KiB free, need ~${need} KiB"

timeout=600
capcmd='tcpdump -B 524288 -s 262144 -i any -w "$OUT" tcp & t=$!
est() { ss -Htn state established "( sport = :5201 )" | wc -l; }
for _ in $(seq 1 600); do [ "$(est)" -gt 0 ] && break; sleep 0.1; done
end=$((SECONDS + '"$timeout"'))
while [ "$(est)" -gt 0 ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
sleep 1; kill -INT $t; wait $t'

start=$(date +%s)
OFFLOAD=0 RATES="2000 2000 2000" DELAYS="5 5 5" TIMEOUT=$timeout CAPTURE_CMD=$capcmd \
  "$here/mptcp-scenario.sh" "$out" 3 "$bytes"
rm -f -- "$out.stdout"
echo "make-bench-capture: $out: $(stat -c %s -- "$out") bytes in $(( $(date +%s) - start )) s" >&2
