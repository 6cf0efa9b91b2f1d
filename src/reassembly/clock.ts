/**
 * Where the reducers read the current packet's time (PacketInfo is one). A time handed on as an
 * argument is a double V8 boxes at every call it is not inlined into: read from the object, it is
 * not (a few allocations less per packet on the hot path).
 */
export interface Clock {
  /** Seconds since the first frame. */
  readonly time: number;
}
