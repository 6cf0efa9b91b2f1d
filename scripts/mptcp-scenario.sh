#!/usr/bin/env bash
# mptcp-scenario.sh — real Multipath TCP traffic from the Linux kernel, captured with tcpdump.
#
# Usage (as root):
#   [KNOB=value ...] scripts/mptcp-scenario.sh [--compare] OUT.pcap [paths=2] [bytes=10000000]
#
# --compare: after the run, print what mpcap reports beside what the kernel counted on the captured
# side (scripts/kernel-compare.mjs; needs node and a built dist/); the exit status is 1 on a mismatch.
#
# Three network namespaces: client, server, and between them a "wire" namespace holding one bridge
# per path (client veth <-> bridge <-> server veth), where loss happens out of sight of both
# endpoints, as it would in a network. Path i has the addresses 10.0.i.1 (client) / 10.0.i.2 (server), or fd00:i::1 / fd00:i::2 with V6=1. The client
# opens one MPTCP connection to path 1's server address, port 5201, and the in-kernel path manager
# adds a subflow on every other path. The client sends `bytes` bytes of the pattern
# "byte i = i mod 256" (00 01 .. ff repeated), shuts down its write side, and the server answers
# "ok N\n", N being the number of bytes it received (and checked against the pattern).
#
# Knobs (environment; one word per path in the lists, path 1 first):
#   DELAYS="5 20 40 60"   tbf queue limit per path, ms (there is no netem: this bounds queueing delay)
#   RATES="50 20 10 10"   rate per path; a bare number is mbit, or give a tc unit ("500kbit")
#   LOSS="0 0 0 0"        % of client->server TCP packets dropped at random per path, in the wire's
#                         bridge (nftables): the client's TCP does not know, a server capture shows
#                         the gap, a client capture shows the lost segment and its retransmission.
#   DELAYLINE="0 0"      one-way delay per path, ms, each direction: a non-zero value replaces the path's
#                         bridge with scripts/delay-line.py (a userspace forwarder that holds each frame
#                         that long), out of sight of both ends; implies OFFLOAD=0 and no TX checksum
#                         offload on that path (frames cross userspace whole)
#   NAT="0 0"             1: source NAT on that path (IPv4; by the delay line, with DELAYLINE 0 if none
#                         is wanted): the client's 10.0.i.1 reaches the server as 10.0.i.101
#   SIGNAL=0              1: the server announces its path 2.. addresses with ADD_ADDR (signal endpoints)
#   CSUM=0                1: net.mptcp.checksum_enabled=1 on both sides (DSS checksums)
#   V6=0                  1: IPv6 addresses instead of IPv4
#   SNAPLEN=262144        tcpdump snap length (the default keeps full payloads)
#   FASTCLOSE=0           1: the client aborts (SO_LINGER 0 + close) right after its last send()
#   DOWN=                 k: take the client's path-k link down DOWNAFTER seconds after the client's
#                         connect() returned (the server's link stays up, as when a path fails far from
#                         the server)
#   DOWNAFTER=1           seconds (may be fractional), counted from the moment the client's connection is
#                         established, not from the start of its process: on a loaded machine Python may
#                         take seconds to start, and a fixed delay from the start then fell before the
#                         connection existed or after the transfer ended
#   CLIENT_CMD=           a command run in the client namespace DOWNAFTER seconds after the client connected,
#                         e.g. "ip mptcp endpoint delete id 2" (REMOVE_ADDR) or "... change id 2 backup"
#   SERVER_CMD=           the same in the server namespace (after CLIENT_CMD), e.g. with SIGNAL=1
#                         "ip mptcp endpoint delete id 12" (the server withdraws path 2: REMOVE_ADDR)
#   CORRUPT=              k: the wire zeroes the first two payload bytes of one client->server data packet
#                         on path k (an nftables payload rule, first match only): with CSUM=1 the DSS
#                         checksum catches it (the pattern never has two zero bytes in a row)
#   SERVER_SUBFLOWS=8     the server's subflow limit (`ip mptcp limits`): 0 makes it refuse every join
#   OFFLOAD=1             0: TSO/GSO/GRO off on every veth, so each captured packet is one wire segment
#   CAPTURE_AT=server     or client (the data sender), or both: OUT.pcap is the server's capture and
#                         OUT.client.pcap the client's, made by two tcpdumps in the same run
#   CAPTURE_CMD=          a command run in the capturing namespace, with $OUT set to OUT.pcap, in place
#                         of tcpdump; it must end by itself (its stdout goes to OUT.pcap.stdout)
#   TIMEOUT=120           seconds the client and the server may take before the run is failed
#
# Outputs: OUT.pcap (tcpdump -i any: Linux cooked capture, see linktype in the sidecar) and OUT.json
# (OUT.pcap's name with .pcap replaced by .json), a sidecar describing the run: every knob's
# effective value, the addresses of each path, the interface index of each path in the capturing
# namespace, the bytes the client handed to the kernel, the bytes the server received and whether
# they matched the pattern, the server's reply line, kernel version, tool versions, date, packet
# count, link type and SHA-256 of the capture, and kernel_counters: for each namespace the nonzero
# differences of `nstat -asz` (MPTcpExt*, Tcp*, ...) across the transfer, `ss -nHiM`/`ss -nHti`
# snapshots of the MPTCP socket and its subflows (the server's once it has read everything, the
# client's once all its data is acknowledged), and each endpoint's tbf qdisc statistics (drops).
# The sidecar is written last, only when the run succeeded.
#
# Needs root, iproute2 (ip, tc), tcpdump, python3, ethtool (OFFLOAD=0), nftables (LOSS), and a kernel
# with MPTCP (net.mptcp.enabled). Namespace and interface names are unique per run, so runs may
# overlap; everything the run creates is removed on exit, including on error or Ctrl-C.
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
die() { echo "mptcp-scenario: $*" >&2; exit 1; }

compare=0
if [ "${1:-}" = --compare ]; then compare=1; shift; fi
[ $# -ge 1 ] && [ $# -le 3 ] || usage
case $1 in -h|--help) usage ;; esac
out=$1; paths=${2:-2}; bytes=${3:-10000000}
[[ $paths =~ ^[1-9][0-9]?$ ]] || die "paths must be 1..99, got '$paths'"
[[ $bytes =~ ^[0-9]+$ ]] || die "bytes must be a non-negative integer, got '$bytes'"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tc, tcpdump)"

# the command line that reproduces this run: the knobs set explicitly, then the arguments
q() { if [[ $1 =~ ^[A-Za-z0-9._/:=+-]+$ ]]; then printf %s "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi; }
cmdline=""
for v in DELAYS RATES LOSS DELAYLINE NAT SIGNAL CSUM V6 SNAPLEN FASTCLOSE DOWN DOWNAFTER CLIENT_CMD SERVER_CMD CORRUPT SERVER_SUBFLOWS OFFLOAD CAPTURE_AT CAPTURE_CMD TIMEOUT; do
  [ -z "${!v+x}" ] || cmdline+="$v=$(q "${!v}") "
done
cmdline+="scripts/mptcp-scenario.sh"
for a in "$@"; do cmdline+=" $(q "$a")"; done
DELAYS=${DELAYS:-5 20 40 60}; RATES=${RATES:-50 20 10 10}; LOSS=${LOSS:-0 0 0 0}
SIGNAL=${SIGNAL:-0}; CSUM=${CSUM:-0}; V6=${V6:-0}; SNAPLEN=${SNAPLEN:-262144}
FASTCLOSE=${FASTCLOSE:-0}; DOWN=${DOWN:-}; DOWNAFTER=${DOWNAFTER:-1}; OFFLOAD=${OFFLOAD:-1}
CLIENT_CMD=${CLIENT_CMD:-}; SERVER_CMD=${SERVER_CMD:-}; CORRUPT=${CORRUPT:-}; SERVER_SUBFLOWS=${SERVER_SUBFLOWS:-8}
CAPTURE_AT=${CAPTURE_AT:-server}; CAPTURE_CMD=${CAPTURE_CMD:-}; TIMEOUT=${TIMEOUT:-120}
for v in SIGNAL CSUM V6 FASTCLOSE OFFLOAD; do
  case ${!v} in 0|1) ;; *) die "$v must be 0 or 1, got '${!v}'" ;; esac
done
case $CAPTURE_AT in server|client|both) ;; *) die "CAPTURE_AT must be server, client or both" ;; esac
[[ $SNAPLEN =~ ^[0-9]+$ ]] || die "SNAPLEN must be an integer"
[[ $DOWNAFTER =~ ^[0-9]+([.][0-9]+)?$ ]] || die "DOWNAFTER must be a number of seconds"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "TIMEOUT must be an integer"
[[ $SERVER_SUBFLOWS =~ ^[0-8]$ ]] || die "SERVER_SUBFLOWS must be 0..8"
if [ -n "$CORRUPT" ]; then
  [[ $CORRUPT =~ ^[0-9]+$ ]] && [ "$CORRUPT" -ge 1 ] && [ "$CORRUPT" -le "$paths" ] || die "CORRUPT must be a path number 1..$paths"
fi
if [ -n "$DOWN" ]; then
  [[ $DOWN =~ ^[0-9]+$ ]] && [ "$DOWN" -ge 1 ] && [ "$DOWN" -le "$paths" ] || die "DOWN must be a path number 1..$paths"
fi
read -r -a delays <<<"$DELAYS"; read -r -a rates <<<"$RATES"; read -r -a loss <<<"$LOSS"
DELAYLINE=${DELAYLINE:-}; NAT=${NAT:-}
read -r -a dline <<<"$DELAYLINE"; read -r -a natp <<<"$NAT"
for i in $(seq 0 $((paths-1))); do
  dline[$i]=${dline[$i]:-0}; natp[$i]=${natp[$i]:-0}
  [[ ${dline[$i]} =~ ^[0-9]+([.][0-9]+)?$ ]] || die "DELAYLINE values are milliseconds, got '${dline[$i]}'"
  case ${natp[$i]} in 0) ;; 1) [ "$V6" = 0 ] || die "NAT is IPv4 only" ;; *) die "NAT values are 0 or 1" ;; esac
done
for v in delays rates loss; do
  declare -n arr=$v
  [ ${#arr[@]} -ge "$paths" ] || die "${v^^} needs one value per path ($paths), got '${arr[*]}'"
  unset -n arr
done
need() { command -v "$1" >/dev/null || die "$1 not found (apt-get install $2)"; }
need ip iproute2; need tc iproute2; need python3 python3
[ -n "$CAPTURE_CMD" ] || need tcpdump tcpdump
[ "$OFFLOAD" = 1 ] || need ethtool ethtool
for l in "${loss[@]:0:$paths}"; do [ "$l" = 0 ] || { need nft nftables; break; }; done
[ -z "$CORRUPT" ] || need nft nftables

# unique names: 2 letters + 8 random hex digits; interface names stay within 15 characters
tag=mp$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
C=${tag}c; S=${tag}s; W=${tag}w
work=$(mktemp -d "/tmp/$tag.XXXX")
pids=(); fwdpids=()
ok=0
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$W" 2>/dev/null || true
  if [ "$ok" != 1 ]; then
    echo "mptcp-scenario: failed (exit $rc); no sidecar written; logs:" >&2
    tail -n 5 "$work"/*.log 2>/dev/null >&2 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

side=${out%.pcap}.json
rm -f -- "$out" "$side"   # never leave a stale capture or sidecar behind

ip netns add "$C"; ip netns add "$S"; ip netns add "$W"
ip -n "$W" link set lo up
for ns in $C $S; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
  ip netns exec "$ns" sysctl -qw net.mptcp.checksum_enabled="$CSUM"
  ip -n "$ns" mptcp limits set subflow 8 add_addr_accepted 8
done
ip -n "$S" mptcp limits set subflow "$SERVER_SUBFLOWS" add_addr_accepted 8
if [ "$CAPTURE_AT" = client ]; then capns=$C; else capns=$S; fi
client_out=${out%.pcap}.client.pcap
[ "$CAPTURE_AT" != both ] || rm -f -- "$client_out"
addr_c=(); addr_s=()
for i in $(seq 1 "$paths"); do
  a=${tag}a$i; b=${tag}b$i; x=${tag}x$i; y=${tag}y$i; br=${tag}r$i   # client a <-> x [br] y <-> b server
  ip link add "$a" netns "$C" type veth peer name "$x" netns "$W"
  ip link add "$b" netns "$S" type veth peer name "$y" netns "$W"
  fwd=0; { [ "${dline[$((i-1))]}" != 0 ] || [ "${natp[$((i-1))]}" = 1 ]; } && fwd=1
  if [ "$fwd" = 0 ]; then
    ip -n "$W" link add "$br" type bridge stp_state 0 mcast_snooping 0
    ip -n "$W" link set "$x" master "$br"; ip -n "$W" link set "$y" master "$br"
    ip -n "$W" link set "$br" up
  fi
  ip -n "$W" link set "$x" up; ip -n "$W" link set "$y" up
  if [ "$V6" = 1 ]; then
    ca="fd00:$i::1"; sa="fd00:$i::2"; pl=64; fam=-6
    ip -n "$C" addr add "$ca/$pl" dev "$a" nodad; ip -n "$S" addr add "$sa/$pl" dev "$b" nodad
  else
    ca="10.0.$i.1"; sa="10.0.$i.2"; pl=24; fam=-4
    ip -n "$C" addr add "$ca/$pl" dev "$a"; ip -n "$S" addr add "$sa/$pl" dev "$b"
  fi
  addr_c+=("$ca"); addr_s+=("$sa")
  ip -n "$C" link set "$a" up; ip -n "$S" link set "$b" up
  if [ "$fwd" = 1 ]; then  # frames cross userspace: whole segments with full checksums
    need ethtool ethtool
    ip netns exec "$C" ethtool -K "$a" tso off gso off gro off tx off >/dev/null
    ip netns exec "$S" ethtool -K "$b" tso off gso off gro off tx off >/dev/null
    for w in "$x" "$y"; do ip netns exec "$W" ethtool -K "$w" tso off gso off gro off tx off >/dev/null; ip -n "$W" link set "$w" promisc on; done
    nat_args=()
    if [ "${natp[$((i-1))]}" = 1 ]; then
      nat_args=("$ca" "10.0.$i.101")
      # the server answers 10.0.i.101: its frames go to the client's interface
      mac=$(ip -n "$C" -o link show "$a" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
      ip -n "$S" neigh add "10.0.$i.101" lladdr "$mac" dev "$b" nud permanent
    fi
    ip netns exec "$W" python3 "$(dirname -- "$0")/delay-line.py" "$x" "$y" "${dline[$((i-1))]}" "${nat_args[@]}" "$work/delayline$i.json" 2>"$work/delayline$i.log" &
    pids+=("$!"); fwdpids+=("$!")
  fi
  if [ "$OFFLOAD" = 0 ]; then  # one wire-sized segment per captured packet, as on a real NIC without GRO
    ip netns exec "$C" ethtool -K "$a" tso off gso off gro off >/dev/null
    ip netns exec "$S" ethtool -K "$b" tso off gso off gro off >/dev/null
    for w in "$x" "$y"; do ip netns exec "$W" ethtool -K "$w" tso off gso off gro off >/dev/null; done
    ip netns exec "$C" ethtool -k "$a" | grep -q '^tcp-segmentation-offload: off' || die "TSO still on for $a"
  fi
  d=${delays[$((i-1))]}; r=${rates[$((i-1))]}; l=${loss[$((i-1))]}
  [[ $r =~ ^[0-9.]+$ ]] && r=${r}mbit
  # no netem in this kernel: tbf gives each path its rate and a queue of up to d ms
  ip netns exec "$C" tc qdisc add dev "$a" root tbf rate "$r" burst 32kb latency "${d}ms"
  ip netns exec "$S" tc qdisc add dev "$b" root tbf rate "$r" burst 32kb latency "${d}ms"
  if [ "$l" != 0 ]; then  # the wire drops l% of the client->server packets on this path
    ip netns exec "$W" nft add table bridge loss
    ip netns exec "$W" nft 'add chain bridge loss lossy { type filter hook forward priority 0; }'
    ip netns exec "$W" nft add rule bridge loss lossy iifname "$x" meta l4proto tcp numgen random mod 100 '<' "$l" counter drop
  fi
  if [ "$CORRUPT" = "$i" ]; then  # one data packet (the first over 1000 bytes) loses its first two payload bytes
    ip netns exec "$W" nft add table bridge corrupt
    ip netns exec "$W" nft 'add chain bridge corrupt mangle { type filter hook forward priority -10; }'
    ip netns exec "$W" nft add rule bridge corrupt mangle iifname "$x" meta l4proto tcp th dport 5201 meta length gt 1000 \
      limit rate 1/hour burst 1 packets counter @ih,0,16 set 0
  fi
  if [ "$i" -gt 1 ]; then
    ip -n "$C" mptcp endpoint add "$ca" dev "$a" id "$i" subflow
    if [ "$SIGNAL" = 1 ]; then ip -n "$S" mptcp endpoint add "$sa" dev "$b" id $((10+i)) signal; fi
    # per-source policy routing so subflows leave by their own path, through the server's address on
    # that path (so ARP/neighbour discovery asks for an address the link's far end owns)
    ip -n "$C" $fam rule add from "$ca" table $((100+i))
    ip -n "$C" $fam route add default via "$sa" dev "$a" table $((100+i))
  fi
done
srv=${addr_s[0]}
# interface indexes in the capturing namespace (SLL/SLL2 headers carry them)
ifidx=$(ip -n "$capns" -o link show | awk -F': ' '{print $1 "=" $2}' | sed 's/@.*//' | tr '\n' ' ')

if [ -n "$CAPTURE_CMD" ]; then  # another capturer, run in the capturing namespace with OUT set
  OUT="$out" ip netns exec "$capns" bash -c "$CAPTURE_CMD" >"$out.stdout" 2>"$work/capture.log" &
  tdp=$!; pids+=("$tdp")
  sleep 5
else
  ip netns exec "$capns" tcpdump -U -s "$SNAPLEN" -i any -w "$out" tcp 2>"$work/capture.log" &
  tdp=$!; pids+=("$tdp")
  for _ in $(seq 1 100); do grep -q 'listening on' "$work/capture.log" && break; sleep 0.05; done
  grep -q 'listening on' "$work/capture.log" || die "tcpdump did not start"
fi
if [ "$CAPTURE_AT" = both ]; then
  ip netns exec "$C" tcpdump -U -s "$SNAPLEN" -i any -w "$client_out" tcp 2>"$work/capture-client.log" &
  tdc=$!; pids+=("$tdc")
  for _ in $(seq 1 100); do grep -q 'listening on' "$work/capture-client.log" && break; sleep 0.05; done
  grep -q 'listening on' "$work/capture-client.log" || die "the client's tcpdump did not start"
fi

ip netns exec "$S" python3 - "$srv" "$work/server.json" "$TIMEOUT" >"$work/server.log" 2>&1 <<'PY' &
import json, os, socket, sys, time
import subprocess
addr, res, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
def snap():  # the kernel's view of the MPTCP socket and its subflows (ss runs in this namespace)
    t0 = time.time(); out = [subprocess.run(['ss'] + a, capture_output=True, text=True).stdout for a in (['-nHiM'], ['-nHti'])]
    with open(res + '.ss.tmp', 'w') as f:   # the kernel was read between t0 and t1
        f.write('%.6f %.6f\n===\n' % (t0, time.time()) + ''.join(o + '\n===\n' for o in out))
    os.rename(res + '.ss.tmp', res + '.ss')
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', 5201))  # joins may come to any address
s.listen(1); s.settimeout(timeout)
open(res + '.ready', 'w').close()
c, peer = s.accept(); c.settimeout(timeout)
pat = bytes(range(256)) * 257          # any window of <= 65536 bytes at any phase
n = 0; bad_at = None; err = None; reply = None
try:
    while True:
        b = c.recv(1 << 16)
        if not b: break
        if bad_at is None and b != pat[n % 256 : n % 256 + len(b)]:
            bad_at = n + next(k for k in range(len(b)) if b[k] != pat[(n + k) % 256])
        n += len(b)
    snap()                             # all data received, nothing closed yet
    deadline = time.time() + timeout   # let the client take its snapshot before anything closes
    while time.time() < deadline and not os.path.exists(os.path.join(os.path.dirname(res), 'client.json.ss')):
        time.sleep(0.001)
    reply = 'ok %d\n' % n
    c.sendall(reply.encode()); c.close()
except OSError as e:
    err = '%s: %s' % (type(e).__name__, e)
    snap()
json.dump({'received': n, 'pattern_ok': bad_at is None, 'first_mismatch': bad_at,
           'reply': reply, 'error': err, 'peer': list(peer[:2])}, open(res, 'w'))
PY
srvp=$!; pids+=("$srvp")
for _ in $(seq 1 100); do [ -e "$work/server.json.ready" ] && break; sleep 0.05; done
[ -e "$work/server.json.ready" ] || die "server did not start"

# the kernel's MPTCP/TCP MIB counters in both namespaces, before and after (absolute values; the
# history file is the run's own, so no other nstat user is disturbed)
kstat() { NSTAT_HISTORY=$work/nstat.hist ip netns exec "$1" nstat -asz --json >"$work/nstat-$2-$3.json" 2>/dev/null || echo '{}' >"$work/nstat-$2-$3.json"; }
kstat "$C" client before; kstat "$S" server before
t_client=$(date +%s.%N)
ip netns exec "$C" python3 - "$srv" "$bytes" "$FASTCLOSE" "$work/client.json" "$TIMEOUT" >"$work/client.log" 2>&1 <<'PY' &
import json, os, socket, struct, sys, time
import subprocess
addr, total, fastclose, res, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1', sys.argv[4], float(sys.argv[5])
def snap():  # the kernel's view of the MPTCP socket and its subflows (ss runs in this namespace)
    t0 = time.time(); out = [subprocess.run(['ss'] + a, capture_output=True, text=True).stdout for a in (['-nHiM'], ['-nHti'])]
    with open(res + '.ss.tmp', 'w') as f:   # the kernel was read between t0 and t1
        f.write('%.6f %.6f\n===\n' % (t0, time.time()) + ''.join(o + '\n===\n' for o in out))
    os.rename(res + '.ss.tmp', res + '.ss')
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM, socket.IPPROTO_MPTCP)
s.settimeout(timeout)
t0 = time.time()
s.connect((addr, 5201))
open(res + '.connected', 'w').close()   # DOWNAFTER counts from here
local = s.getsockname()
pat = memoryview(bytes(range(256)) * 257)
sent = 0
while sent < total:                  # byte i of the stream is i mod 256, whatever send() returns
    o = sent % 256
    sent += s.send(pat[o : o + min(65536, total - sent)])
t1 = time.time(); reply = None
if fastclose:
    snap()                           # near the end (data may still be in flight), then the abort
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
else:
    s.shutdown(socket.SHUT_WR); buf = b''
    import fcntl, termios             # wait (up to the time limit) until the kernel holds no unacknowledged data
    deadline = time.time() + timeout
    while time.time() < deadline:
        try: q = struct.unpack('i', fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b'\0' * 4))[0]
        except OSError: break
        if q <= 0: break
        time.sleep(0.001)
    snap()                            # all data acknowledged at the data level, before the reply is read
    while True:
        b = s.recv(100)
        if not b: break
        buf += b
    s.close(); reply = buf.decode('ascii', 'replace')
json.dump({'sent': sent, 'reply': reply, 'local': list(local[:2]), 'connect_time': t0,
           'last_send_time': t1, 'end_time': time.time()}, open(res, 'w'))
PY
clip=$!; pids+=("$clip")
t_down=null
if [ -n "$DOWN" ] || [ -n "$CLIENT_CMD" ] || [ -n "$SERVER_CMD" ]; then
  # wait for the connection (the client process may take long to start on a loaded machine)
  for _ in $(seq 1 $((TIMEOUT * 200))); do [ -e "$work/client.json.connected" ] || ! kill -0 "$clip" 2>/dev/null && break; sleep 0.005; done
  sleep "$DOWNAFTER"; t_down=$(date +%s.%N)
  [ -z "$CLIENT_CMD" ] || ip netns exec "$C" bash -c "$CLIENT_CMD" >"$work/client_cmd.log" 2>&1 || die "CLIENT_CMD failed: $(cat "$work/client_cmd.log")"
  [ -z "$SERVER_CMD" ] || ip netns exec "$S" bash -c "$SERVER_CMD" >"$work/server_cmd.log" 2>&1 || die "SERVER_CMD failed: $(cat "$work/server_cmd.log")"
  [ -z "$DOWN" ] || ip -n "$C" link set "${tag}a$DOWN" down
fi
wait "$clip" || die "client failed: $(tail -n 3 "$work/client.log")"
# the server ends by itself once it has replied (or seen the reset); give it the same time limit
for _ in $(seq 1 $((TIMEOUT * 10))); do kill -0 "$srvp" 2>/dev/null || break; sleep 0.1; done
wait "$srvp" || die "server failed: $(tail -n 3 "$work/server.log")"
sleep 1   # let the last FIN/ACK/RST exchanges reach the capture
kstat "$C" client after; kstat "$S" server after
# each endpoint's own tbf queues: packets dropped there never reach the wire nor a capture
for i in $(seq 1 "$paths"); do
  for e in "$C a client" "$S b server"; do
    read -r qns qdev qwho <<<"$e"
    ip netns exec "$qns" tc -s -j qdisc show dev "${tag}$qdev$i" 2>/dev/null >"$work/tc-$qwho-$i.json" || echo '[]' >"$work/tc-$qwho-$i.json"
  done
done
if [ -n "$CAPTURE_CMD" ]; then wait "$tdp" || true; else kill -INT "$tdp"; wait "$tdp" || true; fi
tail -n 3 "$work/capture.log" >&2
if [ "$CAPTURE_AT" = both ]; then kill -INT "$tdc"; wait "$tdc" || true; tail -n 3 "$work/capture-client.log" >&2; fi
for p in "${fwdpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
# packets the wire dropped, per path ("x<path> <count>" lines)
lossctr=$(ip netns exec "$W" nft list ruleset 2>/dev/null |
  sed -n "s/.*iifname \"${tag}x\([0-9]*\)\".* counter packets \([0-9]*\) .*/\1 \2/p" | tr '\n' ' ')

# sidecar JSON
export MPS_OUT=$out MPS_SIDECAR=$side MPS_PATHS=$paths MPS_BYTES=$bytes MPS_DELAYS=$DELAYS MPS_RATES=$RATES MPS_LOSS=$LOSS \
  MPS_SIGNAL=$SIGNAL MPS_CSUM=$CSUM MPS_V6=$V6 MPS_SNAPLEN=$SNAPLEN MPS_FASTCLOSE=$FASTCLOSE MPS_DOWN=$DOWN \
  MPS_DOWNAFTER=$DOWNAFTER MPS_CLIENT_CMD=$CLIENT_CMD MPS_SERVER_CMD=$SERVER_CMD MPS_CORRUPT=$CORRUPT MPS_SERVER_SUBFLOWS=$SERVER_SUBFLOWS MPS_OFFLOAD=$OFFLOAD MPS_CAPTURE_AT=$CAPTURE_AT MPS_CAPTURE_CMD=$CAPTURE_CMD \
  MPS_TIMEOUT=$TIMEOUT MPS_ADDR_C="${addr_c[*]}" MPS_ADDR_S="${addr_s[*]}" MPS_IFIDX=$ifidx MPS_TAG=$tag MPS_LOSSCTR="$lossctr" MPS_CMDLINE="${cmdline% }" \
  MPS_CAPNS=$capns MPS_DELAYLINE="${dline[*]}" MPS_NAT="${natp[*]}" MPS_CLIENT_OUT=$client_out MPS_T_CLIENT=$t_client MPS_T_DOWN=$t_down MPS_WORK=$work \
  MPS_TCPDUMP="$(tcpdump --version 2>&1 | head -n 2 | tr '\n' ';' || true)" MPS_IPROUTE="$(ip -V 2>&1)"
python3 - <<'PY'
import datetime, hashlib, json, os, re, struct, subprocess
e = lambda k: os.environ['MPS_' + k]
out = e('OUT'); work = e('WORK'); paths = int(e('PATHS'))
client = json.load(open(work + '/client.json')); server = json.load(open(work + '/server.json'))
caplog = open(work + '/capture.log').read()
def words(k): return e(k).split()[:paths]
pcap = {}
data = open(out, 'rb').read() if os.path.exists(out) else b''
magic = data[:4]
if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):  # classic pcap
    endian = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    off, count = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(endian + 'I', data[off + 8:off + 12])[0]
        off += 16 + incl; count += 1
    m = re.search(r'(\d+) packets? dropped by kernel', caplog)
    pcap = {'file': os.path.basename(out), 'size': len(data), 'packets': count,
            'linktype': linktype, 'linktype_name': {113: 'LINUX_SLL', 276: 'LINUX_SLL2'}.get(linktype, str(linktype)),
            'nanosecond_timestamps': magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'),
            'dropped_by_kernel': int(m.group(1)) if m else None,
            'sha256': hashlib.sha256(data).hexdigest()}
knobs = {'paths': paths, 'bytes': int(e('BYTES')), 'DELAYS': e('DELAYS'), 'RATES': e('RATES'), 'LOSS': e('LOSS'),
         'SIGNAL': int(e('SIGNAL')), 'CSUM': int(e('CSUM')), 'V6': int(e('V6')), 'SNAPLEN': int(e('SNAPLEN')),
         'FASTCLOSE': int(e('FASTCLOSE')), 'DOWN': int(e('DOWN')) if e('DOWN') else None,
         'DOWNAFTER': float(e('DOWNAFTER')), 'CLIENT_CMD': e('CLIENT_CMD') or None, 'SERVER_CMD': e('SERVER_CMD') or None, 'CORRUPT': int(e('CORRUPT')) if e('CORRUPT') else None, 'SERVER_SUBFLOWS': int(e('SERVER_SUBFLOWS')), 'OFFLOAD': int(e('OFFLOAD')), 'CAPTURE_AT': e('CAPTURE_AT'),
         'CAPTURE_CMD': e('CAPTURE_CMD') or None, 'TIMEOUT': int(e('TIMEOUT'))}
rates = [r + 'mbit' if re.fullmatch(r'[0-9.]+', r) else r for r in words('RATES')]
lossctr = dict(map(int, kv) for kv in zip(*[iter(e('LOSSCTR').split())] * 2))
ifidx = dict(kv.split('=', 1)[::-1] for kv in e('IFIDX').split())
tag = e('TAG'); side = 'b' if e('CAPNS').endswith('s') else 'a'
sidecar = {
    'generator': 'scripts/mptcp-scenario.sh',
    'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
    'kernel': os.uname().release, 'kernel_version': os.uname().version,
    'tools': {'tcpdump': e('TCPDUMP').strip(';'), 'iproute2': e('IPROUTE')},
    'command': e('CMDLINE'),
    'knobs': knobs,
    'pattern': {'rule': 'byte i = i mod 256', 'description': 'client->server MPTCP data stream is 00 01 .. ff repeated, from data-sequence offset 0'},
    'server_port': 5201,
    'path_list': [{'path': i + 1, 'client': c, 'server': s, 'rate': rates[i], 'tbf_latency_ms': float(d),
                   'loss_percent': float(l), 'wire_dropped_packets': lossctr.get(i + 1, 0),
                   'capture_ifindex': int(ifidx.get('%s%s%d' % (tag, side, i + 1), -1))}
                  for i, (c, s, d, l) in enumerate(zip(words('ADDR_C'), words('ADDR_S'), words('DELAYS'), words('LOSS')))],
    'loss_applied_at': None if all(float(l) == 0 for l in words('LOSS')) else
        'wire bridge between client and server, client->server direction only: a server capture shows gaps, '
        'a client capture the lost segments and their retransmissions',
    'client': {'address': client['local'][0], 'port': client['local'][1], 'sent_bytes': client['sent'],
               'reply': client['reply'], 'start_time': float(e('T_CLIENT')), 'connect_time': client['connect_time'],
               'last_send_time': client['last_send_time'], 'end_time': client['end_time']},
    'server': {'address': words('ADDR_S')[0], 'received_bytes': server['received'],
               'pattern_ok': server['pattern_ok'], 'first_mismatch': server['first_mismatch'],
               'reply': server['reply'], 'error': server['error']},
    'reply_line': server['reply'],
    'down_time': float(e('T_DOWN')) if e('T_DOWN') != 'null' else None,
    'capture': pcap,
}
for i, p in enumerate(sidecar['path_list']):
    p['delay_line_ms'] = float(words('DELAYLINE')[i])
    p['nat_client_address'] = '10.0.%d.101' % (i + 1) if words('NAT')[i] == '1' else None
    st = work + '/delayline%d.json' % (i + 1)
    p['delay_line_frames'] = json.load(open(st)) if os.path.exists(st) else None
if e('CAPTURE_AT') == 'both':
    co = e('CLIENT_OUT')
    m = re.search(r'(\d+) packets? dropped by kernel', open(work + '/capture-client.log').read())
    sidecar['client_capture'] = {'file': os.path.basename(co), 'size': os.path.getsize(co),
                                 'dropped_by_kernel': int(m.group(1)) if m else None}
    if m and int(m.group(1)):
        raise SystemExit("the client's tcpdump dropped %s packets" % m.group(1))
def nstat(who, when):
    try: return json.load(open('%s/nstat-%s-%s.json' % (work, who, when))).get('kernel', {})
    except (OSError, ValueError): return {}
def parse_ss(path):  # ss -nHiM then ss -nHti output: one entry per socket, info tokens split into fields
    try: parts = open(path).read().split('\n===\n')
    except OSError: return None
    t0, t1 = map(float, parts.pop(0).split())
    res = {'time': t0, 'time_end': t1}
    for kind, text in zip(('mptcp', 'tcp'), parts):
        socks = []
        for line in text.split('\n'):
            if not line.strip(): continue
            if not line[0].isspace():
                w = line.split()
                if len(w) < 5: continue
                socks.append({'state': w[0], 'local': w[3], 'peer': w[4], 'info': {}, 'flags': []})
            elif socks:
                for tok in line.split():
                    k, sep, v = tok.partition(':')
                    if not sep: socks[-1]['flags'].append(tok); continue
                    if k in ('rtt', 'retrans'):
                        a, _, b = v.partition('/')
                        try: socks[-1]['info'][k] = [float(a), float(b or 0)]
                        except ValueError: socks[-1]['info'][k] = v
                        continue
                    # decimal numbers only: hex fields (seq, ssnoff, ...) stay strings
                    if re.fullmatch(r'-?[0-9]+', v): socks[-1]['info'][k] = int(v)
                    elif re.fullmatch(r'-?[0-9]+[.][0-9]+', v): socks[-1]['info'][k] = float(v)
                    else: socks[-1]['info'][k] = v
        port = ':5201'
        res[kind] = [x for x in socks if x['state'] != 'LISTEN' and (x['local'].endswith(port) or x['peer'].endswith(port))]
    return res
kernel = {}
for who in ('client', 'server'):
    b, a = nstat(who, 'before'), nstat(who, 'after')
    kernel[who] = {'nstat_delta': {k: a[k] - b.get(k, 0) for k in sorted(a) if a[k] - b.get(k, 0) != 0},
                   'nstat_mptcp_counters': sorted(k for k in a if k.startswith('MPTcpExt')),
                   'ss': parse_ss('%s/%s.json.ss' % (work, who))}
def qdisc(who, i):
    try: q = [x for x in json.load(open('%s/tc-%s-%d.json' % (work, who, i))) if x.get('root')]
    except (OSError, ValueError): q = []
    return {k: q[0].get(k) for k in ('kind', 'packets', 'bytes', 'drops', 'overlimits')} if q else None
kernel['qdisc'] = [{'path': i, 'client': qdisc('client', i), 'server': qdisc('server', i)} for i in range(1, paths + 1)]
kernel['note'] = ('nstat_delta: `nstat -asz` after the run minus before it, per namespace (nonzero differences only; '
                  'the namespaces are the run\'s own, so these are this connection\'s); ss: `ss -nHiM` (mptcp) and '
                  '`ss -nHti` (tcp: the subflows) for port 5201, read between time and time_end (epoch seconds), taken by the server once it had read all data '
                  '(before replying) and by the client once it had read the reply (before close; with FASTCLOSE '
                  'right after its last send)')
sidecar['kernel_counters'] = kernel
if not server['pattern_ok']:
    raise SystemExit('server saw data that breaks the pattern at offset %s' % server['first_mismatch'])
if pcap.get('dropped_by_kernel'):
    raise SystemExit('tcpdump dropped %d packets: capture incomplete' % pcap['dropped_by_kernel'])
with open(e('SIDECAR'), 'w') as f: json.dump(sidecar, f, indent=2); f.write('\n')
print('%s: %s packets, client sent %d, server received %d, reply %r' % (out, pcap.get('packets'), client['sent'],
      server['received'], server['reply']))
PY
# tcpdump leaves its file owned by its own user: give both files the owner of their directory
chown --reference="$(dirname -- "$out")" -- "$out" "$side" 2>/dev/null || true
[ "$CAPTURE_AT" != both ] || chown --reference="$(dirname -- "$out")" -- "$client_out" 2>/dev/null || true
ok=1
if [ "$compare" = 1 ]; then  # the kernel as a second oracle: its counters beside mpcap's analysis
  node "$(dirname -- "$0")/kernel-compare.mjs" "$out"
fi
