/** `mpcap compare` as text: one block per connection pair, one line per subflow direction. */
import type { CompareResult } from './model.js';
import type { DelaySummary } from './stats.js';

function ms(us: number | null): string {
  return us === null ? '-' : (us / 1000).toFixed(3);
}

function delay(d: DelaySummary): string {
  return d.count === 0 ? 'no packets matched' : `min ${ms(d.minUs)}  median ${ms(d.medianUs)}  p95 ${ms(d.p95Us)}  max ${ms(d.maxUs)} ms`;
}

export function renderCompareText(r: CompareResult): string {
  const out: string[] = [];
  out.push(`A: ${r.files.A} (${r.packets.A} packets)`);
  out.push(`B: ${r.files.B} (${r.packets.B} packets)`);
  out.push(`Clock: ${r.clock.note}`);
  out.push(`Window: a packet waits ${r.bounds.windowSec} s for its copy (at most ${r.bounds.maxPending} waiting per side); copies on one side within ${r.bounds.duplicateSec * 1000} ms are one packet captured twice`);
  if (r.evicted > 0) out.push(`Warning: ${r.evicted} packets decided early (more than ${r.bounds.maxPending} waiting)`);
  const matched = r.connections.filter((c) => c.matchedBy !== 'unmatched').length;
  out.push(`Connections: ${matched} matched, ${r.connections.length - matched} seen on one side only`);
  for (const c of r.connections) {
    out.push('');
    const who = c.clientSide === null ? '' : `; client side: ${c.clientSide}, server side: ${c.clientSide === 'A' ? 'B' : 'A'}`;
    out.push(`Connection A#${c.connectionA ?? '-'} = B#${c.connectionB ?? '-'}  matched by ${c.matchedBy}${who}${c.clientKey ? `; client key ${c.clientKey}` : ''}`);
    for (const s of c.subflows) {
      const ta = s.tupleA ? `${s.tupleA.client} -> ${s.tupleA.server}` : '-';
      const tb = s.tupleB ? `${s.tupleB.client} -> ${s.tupleB.server}` : '-';
      out.push(`  subflow A:${s.tcpStreamA ?? '-'} ${ta}  B:${s.tcpStreamB ?? '-'} ${s.nat ? tb + ' (NAT)' : ''}  matched by ${s.matchedBy}${s.clientSide ? `, client near ${s.clientSide} (${s.clientSideBy})` : ''}`);
      for (const d of s.directions) {
        const dup = d.duplicatesSender + d.duplicatesReceiver > 0 ? `  captured twice ${d.duplicatesSender}/${d.duplicatesReceiver}` : '';
        out.push(`    ${d.direction} ${d.senderSide}->${d.senderSide === 'A' ? 'B' : 'A'}: sent ${d.sent}  received ${d.received}  lost ${d.lost}  received-only ${d.receivedOnly}  reordered ${d.reordered}${dup}`);
        out.push(`        one-way delay: ${delay(d.delay)}`);
      }
    }
    for (const d of c.data) {
      out.push(`  data ${d.direction} ${d.senderSide}->${d.senderSide === 'A' ? 'B' : 'A'}: ${d.bytesMeasured} bytes; first send to in-order delivery: ${delay(d.delay)}`);
      if (d.reinjections > 0) out.push(`        reinjections ${d.reinjections}: useful ${d.useful}, wasted ${d.wasted}, both copies lost ${d.reinjections - d.useful - d.wasted}`);
    }
  }
  return out.join('\n') + '\n';
}
