#!/usr/bin/env bash
# make-compare-fixtures.sh — regenerate fixtures/compare/: both ends of one kernel MPTCP connection
# (client.pcap.gz, server.pcap.gz and server.json, the scenario's sidecar), for `mpcap compare`.
#
# Usage (as root): scripts/make-compare-fixtures.sh
#
# Two paths: path 1 a bridge dropping 3 % of the client's TCP packets, path 2 a 10 ms delay line
# that rewrites the client's address (source NAT). Headers only (SNAPLEN=128), gzip-compressed:
# the pair stays under 200 kB. Retried (up to 3 times) until the join carried data and path 1 dropped
# something, so that the fixture shows what it is for. After regenerating, update EXPECTED in
# test/compare-fixtures.test.ts (and the figures quoted in the README) from `mpcap compare --json`.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
dir=$(dirname -- "$here")/fixtures/compare
mkdir -p "$dir"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for attempt in 1 2 3; do
  CAPTURE_AT=both DELAYLINE="0 10" NAT="0 1" LOSS="3 0" RATES="5 5" OFFLOAD=0 SNAPLEN=128 TIMEOUT=60 \
    "$here/mptcp-scenario.sh" "$tmp/server.pcap" 2 400000 >&2
  dropped=$(python3 -c "import json;print(json.load(open('$tmp/server.json'))['path_list'][0]['wire_dropped_packets'])")
  joined=$(python3 -c "import json;f=json.load(open('$tmp/server.json'))['path_list'][1]['delay_line_frames'];print(f['client_to_server'])")
  if [ "$dropped" -gt 0 ] && [ "$joined" -gt 50 ]; then break; fi
  echo "attempt $attempt: path 1 dropped $dropped, path 2 carried $joined frames: again" >&2
done
gzip -9 -n -c "$tmp/server.pcap" >"$dir/server.pcap.gz"
gzip -9 -n -c "$tmp/server.client.pcap" >"$dir/client.pcap.gz"
cp "$tmp/server.json" "$dir/server.json"
du -cb "$dir"/*.gz >&2
