#!/usr/bin/env python3
"""delay-line.py — a wire of known one-way delay between two interfaces (no netem on this kernel).

Usage: delay-line.py IF_CLIENT IF_SERVER DELAY_MS [NAT_FROM NAT_TO] [STATS.json]

Every Ethernet frame that arrives on one interface leaves by the other DELAY_MS later (each
direction), in order. With NAT_FROM/NAT_TO (IPv4), the client's address NAT_FROM is rewritten to
NAT_TO on the way to the server and back on the way to the client (source NAT, ports kept), with
the IPv4 and TCP checksums updated (RFC 1624). On SIGTERM it writes its counters to STATS.json.
Run by scripts/mptcp-scenario.sh (DELAYLINE=, NAT=) in the wire namespace. It asks for real-time
scheduling (SCHED_FIFO) so that a busy machine does not lengthen the delay, and counts every frame it
could not pass on (socket drops, failed sends): those are the path's losses.
"""
import heapq, json, os, select, signal, socket, struct, sys, time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
args = sys.argv[1:]
if len(args) not in (3, 4, 5, 6):
    sys.exit(__doc__)
ifc, ifs, delay = args[0], args[1], float(args[2]) / 1000.0
nat_from = nat_to = None
stats_path = None
if len(args) >= 5:
    nat_from, nat_to = socket.inet_aton(args[3]), socket.inet_aton(args[4])
    stats_path = args[5] if len(args) == 6 else None
elif len(args) == 4:
    stats_path = args[3]

def sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setblocking(False)
    return s

sc, ss = sock(ifc), sock(ifs)
counts = {'client_to_server': 0, 'server_to_client': 0, 'nat_rewritten': 0,
          'dropped_client_to_server': 0, 'dropped_server_to_client': 0}
SOL_PACKET = 263
PACKET_STATISTICS = 6
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
except (AttributeError, OSError):
    pass

def adjust(csum, old, new):
    # RFC 1624: HC' = ~(~HC + ~m + m'), over the 16-bit words that changed
    s = (~csum) & 0xffff
    for i in range(0, len(old), 2):
        s += ((~((old[i] << 8) | old[i + 1])) & 0xffff) + ((new[i] << 8) | new[i + 1])
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def nat(frame, to_server):
    if len(frame) < 34 or frame[12:14] != b'\x08\x00':
        return frame
    ihl = (frame[14] & 0x0f) * 4
    at = 26 if to_server else 30          # source address going out, destination coming back
    old, new = (nat_from, nat_to) if to_server else (nat_to, nat_from)
    if frame[at:at + 4] != old:
        return frame
    f = bytearray(frame)
    f[at:at + 4] = new
    struct.pack_into('!H', f, 24, adjust(struct.unpack_from('!H', f, 24)[0], old, new))
    if f[23] == 6 and len(f) >= 14 + ihl + 18:  # TCP: the pseudo-header holds the address
        o = 14 + ihl + 16
        struct.pack_into('!H', f, o, adjust(struct.unpack_from('!H', f, o)[0], old, new))
    counts['nat_rewritten'] += 1
    return bytes(f)

def socket_drops(s):
    # struct tpacket_stats { unsigned tp_packets, tp_drops; } (cleared by each read)
    return struct.unpack('II', s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]

def stop(*_):
    counts['dropped_client_to_server'] += socket_drops(sc)
    counts['dropped_server_to_client'] += socket_drops(ss)
    if stats_path:
        with open(stats_path, 'w') as fh:
            json.dump(counts, fh)
    sys.exit(0)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
heap = []
n = 0
while True:
    now = time.monotonic()
    while heap and heap[0][0] <= now:
        _, _, out, frame = heapq.heappop(heap)
        try:
            out.send(frame)
        except OSError:
            counts['dropped_client_to_server' if out is ss else 'dropped_server_to_client'] += 1
    timeout = max(0.0, heap[0][0] - time.monotonic()) if heap else 0.5
    ready, _, _ = select.select([sc, ss], [], [], timeout)
    for s in ready:
        while True:
            try:
                frame, addr = s.recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue  # our own sends, seen by the tap
            t = time.monotonic()
            to_server = s is sc
            if nat_from is not None:
                frame = nat(frame, to_server)
            counts['client_to_server' if to_server else 'server_to_client'] += 1
            n += 1
            heapq.heappush(heap, (t + delay, n, ss if to_server else sc, frame))
