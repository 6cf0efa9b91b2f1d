/**
 * Bad input is data: each layer that finds something wrong records it here and the packet
 * goes on as far as it can. `truncated` = the capture holds fewer bytes than the headers
 * promise (snaplen, a file cut short); `malformed` = the bytes themselves are wrong.
 */
export interface Problem {
  kind: 'truncated' | 'malformed';
  /** The protocol that found it: 'ipv4', 'tcp', 'mptcp'... */
  layer: string;
  /** Byte offset in the frame where the bad field starts. */
  offset: number;
  message: string;
}

export function truncated(layer: string, offset: number, message: string): Problem {
  return { kind: 'truncated', layer, offset, message };
}

export function malformed(layer: string, offset: number, message: string): Problem {
  return { kind: 'malformed', layer, offset, message };
}
