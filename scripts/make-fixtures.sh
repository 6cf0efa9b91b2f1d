#!/usr/bin/env bash
# make-fixtures.sh — regenerate the real-kernel MPTCP captures in fixtures/pcaps/.
#
# Usage (as root, from anywhere):
#   sudo scripts/make-fixtures.sh              regenerate every fixture, then check each one
#   sudo scripts/make-fixtures.sh NAME...      regenerate only these (e.g. loss path-down)
#   scripts/make-fixtures.sh --check [NAME...] only check the fixtures already there (no root needed)
#   scripts/make-fixtures.sh --list            print each fixture's command line
#
# Each fixture is made by scripts/mptcp-scenario.sh (which also writes NAME.json, the sidecar) and
# then checked: the feature it is named after must really be in it (ADD_ADDR with HMACs, DSS
# checksums, a fast close, a path that stops mid-transfer, ...), the server must have received the
# pattern intact, and the file must stay under 600 KB. Timing-dependent fixtures are retried (up to
# ATTEMPTS=3 times) until the check passes. Knobs in the caller's environment are ignored.
# The check reads the pcap itself (Python, no tshark needed) and prints one summary per fixture.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname -- "$here")
dir=$top/fixtures/pcaps
scenario=$here/mptcp-scenario.sh
attempts=${ATTEMPTS:-3}
maxsize=$((600 * 1024))

# name | paths | bytes | knobs (shell words, single-quoted where needed)
fixtures=(
  "two-paths|2|200000|"
  "three-paths-signal|3|300000|SIGNAL=1"
  "loss|2|300000|LOSS='0 5' OFFLOAD=0"
  "path-down|3|300000|RATES='0.5 1 0.5' DELAYS='100 100 100' DOWN=2 DOWNAFTER=0.7 OFFLOAD=0"
  "ipv6|2|200000|V6=1 SIGNAL=1"
  "checksum|2|200000|CSUM=1 OFFLOAD=0"
  "gso-off|2|200000|OFFLOAD=0"
  "fastclose|2|200000|FASTCLOSE=1"
  "client-side|2|200000|CAPTURE_AT=client"
)
knobs=(DELAYS RATES LOSS SIGNAL CSUM V6 SNAPLEN FASTCLOSE DOWN DOWNAFTER CLIENT_CMD SERVER_CMD CORRUPT SERVER_SUBFLOWS OFFLOAD CAPTURE_AT CAPTURE_CMD TIMEOUT)

field() { local IFS='|' f; read -r -a f <<<"$1"; echo "${f[$2]:-}"; }
cmd_of() {  # the command line, relative to the repository root
  local k; k=$(field "$1" 3)
  echo "${k:+$k }scripts/mptcp-scenario.sh fixtures/pcaps/$(field "$1" 0).pcap $(field "$1" 1) $(field "$1" 2)"
}

check() {  # check NAME: exit status 0 when the fixture shows what it is named after
  python3 - "$dir/$1.pcap" "$dir/$1.json" "$1" "$maxsize" <<'PY'
import ipaddress, json, struct, sys
from collections import Counter, defaultdict
path, sidecar_path, name, maxsize = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
side = json.load(open(sidecar_path))
data = open(path, 'rb').read()
SUB = ['MP_CAPABLE', 'MP_JOIN', 'DSS', 'ADD_ADDR', 'REMOVE_ADDR', 'MP_PRIO', 'MP_FAIL', 'MP_FASTCLOSE', 'MP_TCPRST']
magic = data[:4]
end = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
linktype = struct.unpack(end + 'I', data[20:24])[0]
assert linktype in (113, 276), 'unexpected link type %d' % linktype

pkts = []   # dicts: t, src, dst, sport, dport, flags, seq, plen, opts [(subtype, length, bytes)], pkttype, v6
off = 24
while off + 16 <= len(data):
    sec, frac, incl, orig = struct.unpack(end + 'IIII', data[off:off + 16])
    rec = data[off + 16:off + 16 + incl]; off += 16 + incl
    if linktype == 276:
        proto, pkttype, l3 = struct.unpack('>H', rec[0:2])[0], rec[10], rec[20:]
    else:
        proto, pkttype, l3 = struct.unpack('>H', rec[14:16])[0], struct.unpack('>H', rec[0:2])[0], rec[16:]
    if proto == 0x0800:
        ihl = (l3[0] & 15) * 4; tot = struct.unpack('>H', l3[2:4])[0]
        if l3[9] != 6: continue
        src, dst, l4, l4len = ipaddress.ip_address(l3[12:16]), ipaddress.ip_address(l3[16:20]), l3[ihl:], tot - ihl
    elif proto == 0x86dd:
        if l3[6] != 6: continue
        src, dst = ipaddress.ip_address(l3[8:24]), ipaddress.ip_address(l3[24:40])
        l4, l4len = l3[40:], struct.unpack('>H', l3[4:6])[0]
    else:
        continue
    sport, dport, seq, ack = struct.unpack('>HHII', l4[0:12])
    doff = (l4[12] >> 4) * 4; flags = l4[13]
    opts, i = [], 20
    while i < doff:
        k = l4[i]
        if k == 0: break
        if k == 1: i += 1; continue
        ln = l4[i + 1]
        if k == 30: opts.append((l4[i + 2] >> 4, ln, l4[i:i + ln]))
        i += max(ln, 2)
    pkts.append(dict(t=sec + frac / (1e9 if nano else 1e6), src=src, dst=dst, sport=sport, dport=dport,
                     flags=flags, seq=seq, plen=l4len - doff, opts=opts, pkttype=pkttype, v6=proto == 0x86dd))

SYN, ACK, RST, FIN = 2, 16, 4, 1
sub = Counter(st for p in pkts for st, _, _ in p['opts'])
t0 = pkts[0]['t']
def key(p):  # subflow: client address/port first (the server is on port 5201)
    return (p['src'], p['sport'], p['dst'], p['dport']) if p['dport'] == 5201 else (p['dst'], p['dport'], p['src'], p['sport'])
flows = defaultdict(lambda: dict(pk=0, data=0, first=None, last=None, last_c2s=None, last_data=None, holes=0, maxend=None, join=False, established=False))
for p in pkts:
    f = flows[key(p)]; f['pk'] += 1
    f['first'] = p['t'] if f['first'] is None else f['first']; f['last'] = p['t']
    if p['flags'] & SYN and not p['flags'] & ACK and any(st == 1 for st, _, _ in p['opts']): f['join'] = True
    if p['flags'] & SYN and p['flags'] & ACK: f['established'] = True
    if p['dport'] == 5201: f['last_c2s'] = p['t']
    if p['plen'] > 0 and p['dport'] == 5201:  # client->server data: look for gaps filled later
        f['data'] += p['plen']; f['last_data'] = p['t']
        e = (p['seq'] + p['plen']) & 0xffffffff
        if f['maxend'] is not None and ((p['seq'] - f['maxend']) & 0xffffffff) >= 0x80000000: f['holes'] += 1
        if f['maxend'] is None or ((e - f['maxend']) & 0xffffffff) < 0x80000000: f['maxend'] = e

def dss_csum(o):  # True when a DSS option carrying a mapping also carries a checksum
    _, ln, b = o; fl = b[3]
    exp = 4 + ((8 if fl & 2 else 4) if fl & 1 else 0) + (((8 if fl & 8 else 4) + 6) if fl & 4 else 0)
    return None if not fl & 4 else ln == exp + 2
dss_len = Counter(ln for p in pkts for st, ln, _ in p['opts'] if st == 2)
maps = [dss_csum(o) for p in pkts for o in p['opts'] if o[0] == 2 and dss_csum(o) is not None]
mpc = [o for p in pkts for o in p['opts'] if o[0] == 0]
addaddr = [(o[1], bool(o[2][2] & 1)) for p in pkts for o in p['opts'] if o[0] == 3]
hmac_len = 28 if side['knobs']['V6'] else 16
rst = [p for p in pkts if p['flags'] & RST]
maxpl = max(p['plen'] for p in pkts)
used = [k for k, f in flows.items() if f['data'] > 0]
server, client, knobs = side['server'], side['client'], side['knobs']
problems = []
def need(cond, what):
    if not cond: problems.append(what)

need(len(data) <= maxsize, 'file is %d bytes, over %d' % (len(data), maxsize))
need(side['capture'].get('sha256') and side['capture']['packets'] == len(pkts), 'sidecar does not describe this pcap')
need(mpc and all(o[2][2] & 15 == 1 for o in mpc), 'MP_CAPABLE is not version 1')
need(server['pattern_ok'], 'server saw data breaking the pattern')
if knobs['FASTCLOSE']:
    need(sub[7] > 0, 'no MP_FASTCLOSE')
    need(server['received_bytes'] <= client['sent_bytes'], 'server got more than was sent')
else:
    need(server['received_bytes'] == client['sent_bytes'] == knobs['bytes'], 'byte counts differ')
    need(server['reply'] == 'ok %d\n' % knobs['bytes'], 'unexpected reply')
    need(len(used) >= min(2, knobs['paths']), 'fewer than 2 subflows carried data')
    need(any(f['join'] and f['established'] for f in flows.values()) or knobs['paths'] == 1, 'no MP_JOIN subflow established')
need(any(maps) == bool(knobs['CSUM']) and (all(maps) or not knobs['CSUM']), 'DSS checksums do not match CSUM=%d' % knobs['CSUM'])
if knobs['CSUM']:
    need(all(o[2][3] & 0x80 for o in mpc), 'MP_CAPABLE without the checksum-required (A) bit')
if knobs['OFFLOAD'] == 0:
    need(maxpl <= 1460, 'a %d-byte segment with OFFLOAD=0' % maxpl)
if knobs['SIGNAL']:
    need(any(ln == hmac_len and not echo for ln, echo in addaddr), 'no ADD_ADDR with a v1 HMAC (length %d)' % hmac_len)
    need(any(echo for _, echo in addaddr), 'no echoed ADD_ADDR')
    announced = {ipaddress.ip_address(p['server']) for p in side['path_list'][1:]}
    need(all(any(k[2] == a and f['established'] for k, f in flows.items()) for a in announced),
         'a subflow to an announced address was not established')
if any(float(x) for x in knobs['LOSS'].split()[:knobs['paths']]):
    lossy = [p for p in side['path_list'] if p['loss_percent'] > 0]
    need(all(p['wire_dropped_packets'] > 0 for p in lossy), 'the wire dropped nothing on a lossy path')
    need(all(any(f['holes'] for k, f in flows.items() if str(k[0]) == p['client']) for p in lossy),
         'no retransmission filling a gap on a lossy path')
if knobs['DOWN']:
    down = side['down_time']; dn = side['path_list'][knobs['DOWN'] - 1]['client']
    dflows = [f for k, f in flows.items() if str(k[0]) == dn and f['data'] > 0]
    need(dflows, 'path %d never carried data' % knobs['DOWN'])
    last = max((f['last_c2s'] for f in dflows), default=0); last_data = max((f['last_data'] for f in dflows), default=0)
    need(last <= down + 0.05, 'path %d still carries client packets %.3f s after going down' % (knobs['DOWN'], last - down))
    need(last_data >= down - 0.3, 'path %d was idle %.3f s before going down' % (knobs['DOWN'], down - last_data))
    need(max(p['t'] for p in pkts if p['plen'] > 0) >= down + 0.3, 'the transfer did not go on after the path went down')
if knobs['CAPTURE_AT'] == 'client':
    need(all(p['pkttype'] == 4 for p in pkts if p['plen'] > 0 and p['dport'] == 5201), 'data not captured as outgoing')

names = ', '.join('%s %d' % (SUB[s] if s < len(SUB) else s, n) for s, n in sorted(sub.items()))
print('%-20s %7d bytes %4d packets  %s' % (name, len(data), len(pkts), names))
print('%-20s subflows %d (%d carried data, %d MP_JOIN), max payload %d, DSS lengths %s, RSTs %d%s' % (
    '', len(flows), len(used), sum(f['join'] for f in flows.values()), maxpl, dict(sorted(dss_len.items())), len(rst),
    ', ADD_ADDR (len, echo) %s' % sorted(Counter(addaddr).items()) if addaddr else ''))
if knobs['DOWN']:
    print('%-20s path %d down at +%.3f s, its last client packet +%.3f s, transfer ended +%.3f s' % (
        '', knobs['DOWN'], side['down_time'] - t0, last - t0, max(p['t'] for p in pkts) - t0))
if any(f['holes'] for f in flows.values()):
    print('%-20s segments below the highest sequence seen (gap fills) per subflow: %s; wire drops per path: %s' % ('',
        {'%s:%d' % (k[0], k[1]): f['holes'] for k, f in flows.items() if f['holes']},
        [p.get('wire_dropped_packets') for p in side['path_list']]))
if knobs['FASTCLOSE']:
    print('%-20s client sent %d, server received %d, server error %r; RSTs: %s' % ('', client['sent_bytes'],
        server['received_bytes'], server['error'], Counter('%s->%s %s' % (p['src'], p['dst'], '+'.join(SUB[o[0]] for o in p['opts']) or 'plain') for p in rst)))
for pr in problems: print('%-20s FAIL: %s' % ('', pr))
sys.exit(1 if problems else 0)
PY
}

mode=make
case ${1:-} in
  --check) mode=check; shift ;;
  --list) for f in "${fixtures[@]}"; do cmd_of "$f"; done; exit 0 ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  -*) echo "unknown option $1" >&2; exit 2 ;;
esac
selected=()
for f in "${fixtures[@]}"; do
  n=$(field "$f" 0)
  if [ $# = 0 ] || printf '%s\n' "$@" | grep -qx -- "$n"; then selected+=("$f"); fi
done
[ ${#selected[@]} -gt 0 ] || { echo "no such fixture: $*" >&2; exit 2; }
[ "$mode" = check ] || [ "$(id -u)" = 0 ] || { echo "make-fixtures: needs root (try sudo)" >&2; exit 1; }

mkdir -p "$dir"
failed=()
cd "$top"
for f in "${selected[@]}"; do
  n=$(field "$f" 0)
  if [ "$mode" = check ]; then check "$n" || failed+=("$n"); continue; fi
  for a in $(seq 1 "$attempts"); do
    echo "--- $n (attempt $a): $(cmd_of "$f")"
    unset_knobs=(); for k in "${knobs[@]}"; do unset_knobs+=(-u "$k"); done
    if eval "env ${unset_knobs[*]} $(cmd_of "$f")" >/dev/null && check "$n"; then continue 2; fi
  done
  failed+=("$n")
done
if [ ${#failed[@]} -gt 0 ]; then echo "make-fixtures: FAILED: ${failed[*]}" >&2; exit 1; fi
echo "make-fixtures: ok ($(du -ch "$dir"/*.pcap | tail -n 1 | cut -f1) in $dir)"
