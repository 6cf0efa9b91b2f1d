import { it } from 'vitest';
import { decodePacket } from '../../src/dissect/packet.ts';
import { frame, fromHex } from '../helpers/frames.ts';
it('x', () => {
  const a = fromHex('60000000 0008 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002 06 0a 01 04 00000000');
  const b = fromHex('60000000 0010 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002 2b 0a 01 04 00000000 06 00 01 04 00000000');
  const c = fromHex('60000000 0008 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002 11 0a 01 04 00000000');
  for (const d of [a, b, c]) { const p = decodePacket(frame(d, 101)); console.log(d.length, JSON.stringify(p.problems), p.ips[0]?.headerLen, p.protocol); }
});
