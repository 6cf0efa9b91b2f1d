#!/usr/bin/env bash
# Regenerates fixtures/crafted/*.pcap: hand-made frames for the MPTCP cases no public or kernel
# capture has (MP_PRIO, MP_FAIL, ADD_ADDR with a port, malformed lengths, 32-bit wrap, SYN reuse).
# Each NAME.cases lists what frame N holds. Needs python3 only.
set -euo pipefail
cd "$(dirname "$0")"
for s in options joins dsn-wrap stream-reuse; do python3 "$s.py"; done
