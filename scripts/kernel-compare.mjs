#!/usr/bin/env node
// kernel-compare.mjs — the Linux kernel as a second oracle: what mpcap reports from a capture made by
// scripts/mptcp-scenario.sh, beside what the kernel counted in the captured namespace (the sidecar's
// kernel_counters: `nstat` MIB differences and `ss -tiM` snapshots).
//
// Usage: node scripts/kernel-compare.mjs OUT.pcap [OUT.json]      (table; exit 1 on a mismatch)
//        node scripts/kernel-compare.mjs --json OUT.pcap [OUT.json] (the rows as JSON)
//
// Each row: counter, kernel value, mpcap value, verdict — "ok" (equal, or within the stated
// tolerance), "MISMATCH", or "n/a" with the reason the capture cannot show it. docs/fidelity.md
// explains every rule.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mpcap.js');
const SUB = { MP_CAPABLE: 0, MP_JOIN: 1, DSS: 2, ADD_ADDR: 3, REMOVE_ADDR: 4, MP_PRIO: 5, MP_FAIL: 6, MP_FASTCLOSE: 7, MP_TCPRST: 8 };

/** RTT tolerances (docs/fidelity.md): clockMs — ss prints minrtt in ms with 3 decimals and the two
 * clocks (skb timestamp vs capture timestamp) differ by a few µs; emptyQueueMs — what an empty tbf and
 * the stack add to a sample (one 1448-byte segment at 10 Mbit/s is 1.2 ms); srtt vs median: within
 * half the larger or 3 ms, else "differs (documented)" when the kernel's is the larger. */
export const RTT_TOLERANCE = { clockMs: 0.005, emptyQueueMs: 2, fraction: 0.5, floorMs: 3 };

function mpcap(args) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`mpcap ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Per-packet option counts from `mpcap dissect`, by direction (c2s: towards the server port). */
function optionCounts(pcap, port) {
  const f = ['tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.options.mptcp.subtype', 'tcp.options.mptcp.echo'];
  const out = mpcap(['dissect', '-T', 'fields', ...f.flatMap((x) => ['-e', x]), pcap]);
  const n = () => ({ capSyn: 0, capSynAck: 0, joinSyn: 0, joinSynAck: 0, joinAck: 0, addAddr: 0, echo: 0, rmAddr: 0, prio: 0, fastclose: 0, fail: 0, tcpRst: 0 });
  const c = { c2s: n(), s2c: n() };
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [sp, dp, fl, st, ec] = line.split('\t');
    const d = Number(dp) === port ? c.c2s : Number(sp) === port ? c.s2c : null;
    if (!d) continue;
    const flags = Number(fl);
    const syn = (flags & 2) !== 0, ack = (flags & 0x10) !== 0;
    if (!st) continue;
    const subs = st.split(',').map(Number);
    const echoes = (ec ?? '').split(',').filter((x) => x !== '').map(Number);
    let ai = 0;
    for (const s of subs) {
      if (s === SUB.MP_CAPABLE && syn) (ack ? d.capSynAck++ : d.capSyn++);
      else if (s === SUB.MP_JOIN) {
        if (syn) (ack ? d.joinSynAck++ : d.joinSyn++); else d.joinAck++;
      }
      else if (s === SUB.ADD_ADDR) (echoes[ai++] === 1 ? d.echo++ : d.addAddr++);
      else if (s === SUB.REMOVE_ADDR) d.rmAddr++;
      else if (s === SUB.MP_PRIO) d.prio++;
      else if (s === SUB.MP_FASTCLOSE) d.fastclose++;
      else if (s === SUB.MP_FAIL) d.fail++;
      else if (s === SUB.MP_TCPRST) d.tcpRst++;
    }
  }
  return c;
}

/** c2s bytes sent again at the data level other than as subflow-level retransmissions (which the
 * receiver's TCP drops before MPTCP sees them): reinjections on another subflow, data-level
 * retransmissions on the same subflow under new subflow sequence numbers, unattributed duplicates. */
function dataLevelDuplicates(conn) {
  const d = conn.data.c2s;
  const subflowLevel = conn.subflows.reduce((a, s) => a + (s.retransmittedBytesByDirection?.c2s ?? 0), 0);
  return d.reinjectedBytes + Math.max(0, d.retransmittedBytes - subflowLevel) + d.duplicateUnattributedBytes;
}

/** Per client address:port, from mpcap's dissection: the client's ISN and the highest ACK the server
 * sent, as (ack - ISN) mod 2^32 (what the client's snd_una - ISN is: SYN + payload + FIN), at or before
 * each instant in `times`. */
function serverAcks(pcap, port, times) {
  const f = ['frame.time_epoch', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw'];
  const out = mpcap(['dissect', '-T', 'fields', ...f.flatMap((x) => ['-e', x]), pcap]);
  const subs = new Map();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [t, s4, s6, d4, d6, sp, dp, fl, seq, ack] = line.split('\t');
    const flags = Number(fl);
    if (Number(dp) === port && (flags & 0x12) === 0x02) { subs.set(`${s4 || s6}:${sp}`, { isn: Number(seq), acked: times.map(() => 0) }); continue; }
    if (Number(sp) !== port || !(flags & 0x10)) continue;
    const sub = subs.get(`${d4 || d6}:${dp}`);
    if (!sub) continue;
    const rel = (Number(ack) - sub.isn) >>> 0;
    times.forEach((tt, i) => { if (Number(t) <= tt && rel > sub.acked[i] && rel < 0x80000000) sub.acked[i] = rel; });
  }
  return subs;
}

const strip = (a) => a.replace(/%[^:\]]*/, '');
function splitAddr(s) { const a = strip(s); const i = a.lastIndexOf(':'); return [a.slice(0, i).replace(/^\[|\]$/g, ''), Number(a.slice(i + 1))]; }

/** The comparison rows for one capture and its sidecar. */
export function compare(pcap, sidecarPath = pcap.replace(/\.pcap$/, '.json')) {
  const side = JSON.parse(readFileSync(sidecarPath, 'utf8'));
  const kc = side.kernel_counters;
  if (!kc) throw new Error(`${sidecarPath}: no kernel_counters (made by an older scripts/mptcp-scenario.sh)`);
  const at = side.knobs.CAPTURE_AT;              // the captured side
  const peer = at === 'server' ? 'client' : 'server';
  const port = side.server_port ?? 5201;
  const report = JSON.parse(mpcap(['analyze', '--json', pcap]));
  const conn = report.connections.find((c) => c.server.port === port);
  if (!conn) throw new Error(`${pcap}: mpcap found no MPTCP connection to port ${port}`);
  const opt = optionCounts(pcap, port);
  // joins mpcap reports refused (the server reset them before any payload)
  const refused = conn.subflows.filter((s) => s.kind === 'join' && s.join?.refused).length;
  const rx = at === 'server' ? opt.c2s : opt.s2c;   // what the captured side received
  const tx = at === 'server' ? opt.s2c : opt.c2s;   // what it sent
  const K = kc[at].nstat_delta;
  const k = (name) => K[`MPTcpExt${name}`] ?? 0;
  const rows = [];
  const row = (counter, kernel, ours, verdict, note = '') => rows.push({ counter, kernel, mpcap: ours, verdict, note });
  const eq = (counter, kernel, ours, note) => row(counter, kernel, ours, kernel === ours ? 'ok' : 'MISMATCH', note);
  const na = (counter, why) => row(counter, null, null, 'n/a', why);

  // handshakes: counted by the side that receives them
  if (at === 'server') {
    eq('MPCapableSYNRX', k('MPCapableSYNRX'), rx.capSyn, 'SYNs with MP_CAPABLE the server received');
    eq('MPJoinSynRx', k('MPJoinSynRx'), rx.joinSyn, 'SYNs with MP_JOIN the server received');
    // the kernel counts a third ACK only once it accepted the join (the reject check comes first)
    eq('MPJoinAckRx', k('MPJoinAckRx'), rx.joinAck - refused, 'third ACKs with MP_JOIN the server received, less the joins it refused');
    eq('MPJoinRejected', k('MPJoinRejected'), refused, 'joins mpcap reports refused (join.refused: reset by the server before any payload)');
    na('MPCapableSYNACKRX / MPJoinSynAckRx', 'counted by the client: SYN-ACKs the server sent may be lost before the client');
  } else {
    eq('MPCapableSYNACKRX', k('MPCapableSYNACKRX'), rx.capSynAck, 'SYN-ACKs with MP_CAPABLE the client received');
    eq('MPJoinSynAckRx', k('MPJoinSynAckRx'), rx.joinSynAck, 'SYN-ACKs with MP_JOIN the client received');
    eq('MPJoinSynTx', k('MPJoinSynTx'), new Set(conn.subflows.filter((s) => s.kind === 'join').map((s) => `${s.client.address}:${s.client.port}`)).size, 'join subflows the client opened (one SYN each, retransmissions not counted)');
    na('MPCapableSYNRX / MPJoinSynRx / MPJoinAckRx / MPJoinRejected', 'counted by the server: what the client sent may be lost on the wire (LOSS drops client->server packets)');
  }
  // options received by the captured side (kernel counts on receipt, after HMAC/key checks)
  eq('AddAddr', k('AddAddr'), rx.addAddr, 'ADD_ADDR (echo=0) options received');
  eq('EchoAdd', k('EchoAdd'), rx.echo, 'ADD_ADDR echoes received');
  eq('RmAddr', k('RmAddr'), rx.rmAddr, 'REMOVE_ADDR options received (one address id each in these scenarios)');
  eq('MPPrioRx', k('MPPrioRx'), rx.prio, 'MP_PRIO options received');
  // the sender puts MP_FASTCLOSE on every subflow; once the first has torn the connection down, the
  // rest reach no MPTCP socket and are not counted: the kernel counts between 1 and all of them
  const kf = k('MPFastcloseRx');
  row('MPFastcloseRx', kf, rx.fastclose, kf === rx.fastclose || (kf >= 1 && kf <= rx.fastclose) ? 'ok' : 'MISMATCH',
    'MP_FASTCLOSE options received (kernel: those that still found the connection, 1..all)');
  eq('MPFailRx', k('MPFailRx'), rx.fail, 'MP_FAIL options received');
  // options the captured side sent: all in its own capture
  eq('MPFailTx', k('MPFailTx'), tx.fail, 'MP_FAIL options sent');
  // MPRstTx is counted where an established subflow writes its options; the reset that refuses a join
  // is sent for a request socket (tcp_v4_send_reset) and is not counted
  const refusedResets = at === 'server' ? refused : 0;
  eq('MPRstTx', k('MPRstTx'), tx.tcpRst - refusedResets, `resets with MP_TCPRST sent${refusedResets ? `, less the ${refusedResets} refusing joins` : ''}`);
  eq('MPFastcloseTx', k('MPFastcloseTx'), tx.fastclose, 'MP_FASTCLOSE options sent');
  eq('MPPrioTx', k('MPPrioTx'), tx.prio, 'MP_PRIO options sent');
  eq('RmAddrTx', k('RmAddrTx'), tx.rmAddr, 'REMOVE_ADDR options sent');
  eq('AddAddrTx', k('AddAddrTx'), tx.addAddr, 'ADD_ADDR (echo=0) options sent, retransmissions included');
  eq('EchoAddTx', k('EchoAddTx'), tx.echo, 'ADD_ADDR echoes sent');
  // DSS checksums: failures in the data the captured side received
  const rxData = at === 'server' ? conn.data.c2s : conn.data.s2c;
  eq('DataCsumErr', k('DataCsumErr'), rxData.checksumFailures, `DSS checksum failures mpcap found in ${at === 'server' ? 'c2s' : 's2c'} data (${rxData.checksumsVerified} verified)`);

  // duplicate data at the data level (receiver) and data-level retransmissions (sender)
  if (at === 'server') {
    // after a fast close the receiver's connection is gone: later copies are never checked for duplicates
    const fc = conn.closing?.events?.find((e) => e.event === 'MP_FASTCLOSE' && e.frame);
    let dupConn = conn;
    if (fc) {
      const tmp = mkdtempSync(path.join(tmpdir(), 'kernel-compare-'));
      try {
        const cut = path.join(tmp, 'until-fastclose.pcap');
        mpcap(['dissect', '-Y', `frame.number < ${fc.frame}`, '-w', cut, pcap]);
        dupConn = JSON.parse(mpcap(['analyze', '--json', cut])).connections.find((c) => c.client.key === conn.client.key) ?? conn;
      } finally { rmSync(tmp, { recursive: true, force: true }); }
    }
    const dupBytes = dataLevelDuplicates(dupConn);
    const kd = k('DuplicateData');
    // the kernel counts dropped skbs (after GRO), mpcap bytes: zero iff zero; with a fast close,
    // copies still in a subflow's receive queue when the connection is torn down are never looked
    // at by MPTCP (docs/fidelity.md), so there only a kernel count without mpcap bytes is wrong
    const dupVerdict = (kd === 0) === (dupBytes === 0) ? 'ok' : fc && kd === 0 ? 'differs (documented)' : 'MISMATCH';
    row('DuplicateData', kd, `${dupBytes} B`, dupVerdict, `kernel: skbs dropped as old data-level data; mpcap: c2s data-level duplicates that were not subflow-level retransmissions${fc ? `, before the fast close (frame ${fc.frame}; bytes with a kernel 0 allowed)` : ' (zero iff zero)'}`);
    na('MPTCPRetrans', 'counted by the sender (the client): a server capture cannot see reinjections lost before the server');
  } else {
    // MPTCPRetrans (MPTCP_MIB_RETRANSSEGS) is incremented in __mptcp_retrans() once per fragment
    // mptcp_sendmsg_frag() puts on a subflow, and __mptcp_retrans() runs only when the data-level
    // retransmit timer fired. Data re-sent because a subflow closed (__mptcp_close_ssk ->
    // __mptcp_retransmit_pending_data) or went stale (mptcp_pm_nl_subflow_chk_stale, counted as
    // SubflowStale) is pushed again as new data, uncounted. So: kernel > 0 => mpcap > 0; and mpcap > 0
    // with kernel 0 only when a subflow closed before the last c2s data or one went stale.
    const kr = k('MPTCPRetrans');
    const re = dataLevelDuplicates(conn);
    const lastData = conn.data.c2s.lastTime ?? Infinity;
    const closedEarly = conn.subflows.filter((s) => s.end && (/RST/.test(s.end.how) || s.end.time < lastData)).length;
    const stale = k('SubflowStale');
    const uncounted = closedEarly > 0 || stale > 0;
    row('MPTCPRetrans', kr, `${re} B`, kr > 0 ? (re > 0 ? 'ok' : 'MISMATCH') : re === 0 || uncounted ? 'ok' : 'MISMATCH',
      `kernel: segments the data-level retransmit timer sent again; mpcap: c2s data sent again at the data level, not as a subflow-level retransmission; kernel > 0 => mpcap > 0, and mpcap > 0 with kernel 0 only after a subflow closed early (${closedEarly}) or went stale (SubflowStale ${stale}), whose re-sent data the kernel does not count`);
    na('DuplicateData', 'counted by the receiver (the server): a client capture cannot tell which copies reached the server');
  }

  // the kernel's socket snapshot (ss) vs the capture
  const ss = kc[at].ss;
  if (!ss || ss.tcp.length === 0) {
    na('subflow bytes / srtt', `no ${at} ss snapshot with the connection's subflows (${at === 'client' && side.knobs.FASTCLOSE ? 'fast close' : 'sockets already gone'})`);
  } else {
    // subflow counters are the kernel's while ss read them (between time and time_end): compare with
    // the capture cut at both instants (a subflow may still send, at the TCP level, data the data level
    // already had acknowledged on another subflow); the kernel's value must lie between the two
    const cutAt = (t) => {
      const tmp = mkdtempSync(path.join(tmpdir(), 'kernel-compare-'));
      try {
        const cut = path.join(tmp, 'until-snapshot.pcap');
        mpcap(['dissect', '-Y', `frame.time_epoch <= ${t.toFixed(6)}`, '-w', cut, pcap]);
        return JSON.parse(mpcap(['analyze', '--json', cut])).connections.find((c) => c.client.key === conn.client.key) ?? conn;
      } finally { rmSync(tmp, { recursive: true, force: true }); }
    };
    const snapConn = typeof ss.time === 'number' ? cutAt(ss.time) : conn;
    const endConn = typeof ss.time_end === 'number' ? cutAt(ss.time_end) : snapConn;
    const acks = at === 'client' ? serverAcks(pcap, port, [ss.time ?? Infinity, ss.time_end ?? ss.time ?? Infinity]) : null;
    const findSf = (cn, la, lp, pa, pp) => cn.subflows.find((x) => (at === 'server'
      ? x.server.address === la && x.server.port === lp && x.client.address === pa && x.client.port === pp
      : x.client.address === la && x.client.port === lp && x.server.address === pa && x.server.port === pp));
    /** kernel within [f(capture at time), f(capture at time_end)] */
    const bracket = (counter, kernel, sfs, f, note) => {
      const [a, b] = sfs.map((x) => (x ? f(x) : null));
      const lo = Math.min(a, b ?? a), hi = Math.max(a, b ?? a);
      row(counter, kernel, lo === hi ? lo : `${lo}..${hi}`, kernel >= lo && kernel <= hi ? 'ok' : 'MISMATCH', note);
    };
    for (const s of ss.tcp) {
      const [la, lp] = splitAddr(s.local), [pa, pp] = splitAddr(s.peer);
      const sf = findSf(snapConn, la, lp, pa, pp);
      const sfs = [sf, findSf(endConn, la, lp, pa, pp)];
      const name = `subflow ${strip(s.local)}->${strip(s.peer)}`;
      if (!sf) { row(`${name} found`, 'in ss', 'not in capture', 'MISMATCH'); continue; }
      const unique = (x) => x.payloadBytesByDirection.c2s - x.retransmittedBytesByDirection.c2s;
      if (at === 'server') {
        // bytes_received counts rcv_nxt advances: payload plus one for a FIN already received
        const fin = /CLOSE-WAIT|LAST-ACK|CLOSING|TIME-WAIT/.test(s.state) ? 1 : 0;
        bracket(`${name} bytes_received`, s.info.bytes_received ?? 0, sfs, (x) => unique(x) + fin, `unique c2s payload${fin ? ' + FIN' : ''} (state ${s.state})`);
      } else {
        // bytes_acked counts snd_una advances (the SYN, the payload, a FIN): the highest ACK the server
        // sent on this subflow less the client's ISN, in the capture up to each snapshot instant
        const a = acks.get(`${la}:${lp}`);
        if (!a) row(`${name} bytes_acked`, s.info.bytes_acked ?? 0, null, 'MISMATCH', 'no SYN of this subflow in the capture');
        else {
          const [lo, hi] = [Math.min(...a.acked), Math.max(...a.acked)];
          const k = s.info.bytes_acked ?? 0;
          row(`${name} bytes_acked`, k, lo === hi ? lo : `${lo}..${hi}`, k >= lo && k <= hi ? 'ok' : 'MISMATCH', `highest ACK from the server - client ISN (SYN + payload acknowledged; state ${s.state})`);
        }
        // and mpcap's unique c2s payload (payload less retransmitted bytes) covers all that was acknowledged
        const fin = /FIN-WAIT-2|TIME-WAIT|CLOSING/.test(s.state) ? 1 : 0;
        const acked = (s.info.bytes_acked ?? 0) - 1 - fin, uq = unique(sfs[1] ?? sf);
        row(`${name} unique payload`, acked, uq, uq >= acked && uq - acked <= (sfs[1] ?? sf).payloadBytesByDirection.c2s ? 'ok' : 'MISMATCH', 'mpcap payload less retransmitted bytes >= what the kernel had acknowledged (bytes_acked - SYN)');
        // bytes_sent counts every transmission attempt, also those the sender's own tbf qdisc dropped
        // (tcpdump -i any sees egress packets after the qdisc): more than captured only when it dropped
        const pathNo = side.path_list.find((p) => p.client === la)?.path;
        const drops = kc.qdisc?.find((q) => q.path === pathNo)?.client?.drops ?? null;
        const sent = s.info.bytes_sent ?? 0, seen = sf.payloadBytesByDirection.c2s;
        const seenEnd = sfs[1]?.payloadBytesByDirection.c2s ?? seen;
        // a path the scenario took down (DOWN=): segments sent at it after that never reach the
        // capture point either (the device is down), and still count in bytes_sent
        const wentDown = String(side.knobs.DOWN ?? '').split(/[ ,]+/).includes(String(pathNo));
        // and segments still in the client's own tbf queue at the snapshot instant: counted, not yet
        // past the capture point (seen once under load, on the path that took over from a downed one:
        // 13,264 bytes more sent than captured, with a queue of up to 37,768)
        const queueCap = tbfQueueBytes(side.path_list.find((p) => p.client === la));
        const queued = sent > seenEnd && queueCap !== null && sent - seenEnd <= queueCap;
        row(`${name} bytes_sent`, sent, seen === seenEnd ? seen : `${seen}..${seenEnd}`, sent >= seen && sent <= seenEnd ? 'ok' : sent > seenEnd && (drops > 0 || wentDown || queued) ? 'differs (documented)' : 'MISMATCH',
          `c2s payload including retransmissions; client qdisc drops on path ${pathNo}: ${drops}${wentDown ? '; this path was taken down' : ''}` +
          (sent > seenEnd && queueCap !== null ? `; ${sent - seenEnd} B more than captured, the client's tbf queue holds up to ${queueCap} B` : ''));
        // RTT: the kernel times a segment from before the qdisc to the ACK's arrival, the capture from
        // after the qdisc to the ACK's arrival: every kernel sample contains the capture's. So the
        // kernel's minimum (ss minrtt) is at least mpcap's minimum and exceeds it by the sojourn in an
        // empty queue; srtt (an EWMA near the end) adds the standing queue of the tbf, invisible here.
        const srtt = Array.isArray(s.info.rtt) ? s.info.rtt[0] : null;
        const minrtt = typeof s.info.minrtt === 'number' ? s.info.minrtt : null;
        const rtt = sf.rtt;
        if (!rtt || rtt.samples === 0 || srtt === null || minrtt === null) na(`${name} rtt`, 'no RTT sample');
        else {
          const min = rtt.minUs / 1000, med = rtt.medianUs / 1000;
          const t = RTT_TOLERANCE;
          row(`${name} minrtt ms`, minrtt, min, minrtt >= min - t.clockMs && minrtt - min <= t.emptyQueueMs ? 'ok' : 'MISMATCH',
            `kernel minrtt within [mpcap min - ${t.clockMs}, mpcap min + ${t.emptyQueueMs}] ms`);
          const within = Math.abs(srtt - med) <= Math.max(t.floorMs, t.fraction * Math.max(srtt, med));
          row(`${name} srtt ms`, srtt, med, within ? 'ok' : srtt > med ? 'differs (documented)' : 'MISMATCH',
            `mpcap median vs kernel srtt: ${within ? 'within tolerance' : 'srtt adds the sender\'s own queue (tbf), which no capture on the interface can see'}`);
        }
      }
    }
    if (at === 'server') na('srtt', 'a server capture sees data arrive and its ACK leave at once: mpcap\'s RTT there is the server\'s ACK delay, the kernel\'s srtt the server\'s own (reply) data; they measure different things');
    // data level: the MPTCP socket's rcv_nxt / snd_una against mpcap's DATA_ACK, relative to the IDSN
    const m = ss.mptcp[0];
    if (m) {
      const field = at === 'server' ? 'rcv_nxt' : 'snd_una';
      const v = m.info[field];
      if (typeof v === 'string' || typeof v === 'number') {
        const abs = BigInt(`0x${String(v)}`);
        const rel = Number((abs - BigInt(conn.client.idsn)) & ((1n << 64n) - 1n));
        // server: rcv_nxt at EOF covers the data and the DATA_FIN; client: snd_una once all is acked, likewise
        bracket(`MPTCP ${field} - IDSN(client)`, rel, [snapConn, endConn], (x) => x.data.c2s.dataAck, 'data level: bytes and DATA_FIN acknowledged (mpcap: highest c2s DATA_ACK, relative)');
      }
    }
  }
  return { capture: pcap, capturedAt: at, kernel: side.kernel, rows };
}

function table({ capture, capturedAt, kernel, rows }) {
  const w = [0, 0, 0, 0];
  const cells = rows.map((r) => [r.counter, r.kernel === null ? '-' : String(r.kernel), r.mpcap === null ? '-' : String(r.mpcap), r.verdict]);
  for (const c of [['counter', 'kernel', 'mpcap', 'verdict'], ...cells]) c.forEach((x, i) => { w[i] = Math.max(w[i], x.length); });
  const line = (c, note) => `${c.map((x, i) => x.padEnd(w[i])).join('  ')}${note ? `  ${note}` : ''}`;
  return [`${capture}: captured at the ${capturedAt}, kernel ${kernel}`, line(['counter', 'kernel', 'mpcap', 'verdict']),
    ...cells.map((c, i) => line(c, rows[i].note))].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args[0] === '--json';
  if (json) args.shift();
  if (args.length < 1 || args.length > 2) { process.stderr.write('usage: node scripts/kernel-compare.mjs [--json] OUT.pcap [OUT.json]\n'); process.exit(2); }
  try {
    const res = compare(args[0], args[1]);
    process.stdout.write(json ? `${JSON.stringify(res, null, 2)}\n` : `${table(res)}\n`);
    process.exit(res.rows.some((r) => r.verdict === 'MISMATCH') ? 1 : 0);
  } catch (e) {
    process.stderr.write(`kernel-compare: ${e.message}\n`);
    process.exit(2);
  }
}

/**
 * What a path's tbf qdisc (mptcp-scenario.sh: `tbf rate R burst 32kb latency D`) can hold: its
 * limit, rate × latency + burst, in bytes; null when the sidecar does not say.
 */
function tbfQueueBytes(path) {
  if (!path || typeof path.tbf_latency_ms !== 'number') return null;
  const m = /^([0-9.]+)\s*(bit|kbit|mbit|gbit)?$/i.exec(String(path.rate ?? ''));
  if (!m) return null;
  const unit = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[(m[2] ?? 'mbit').toLowerCase()];
  return Math.round((Number(m[1]) * unit) / 8 * (path.tbf_latency_ms / 1000)) + 32 * 1024;
}
