/**
 * Packets and bytes per IP address, as Wireshark's Statistics › Endpoints, in bounded memory:
 * exact for the first MAX_EXACT_ENDPOINTS addresses; past that (a scan, a flood of spoofed
 * sources) the table keeps the heaviest hitters — when full, the lighter half is dropped, and
 * every address added later may be under-counted by at most the heaviest count dropped (its
 * `error`) — and says so (`exact` false, `evicted`).
 */
export const MAX_EXACT_ENDPOINTS = 65_536;

export interface EndpointRow {
  key: number;
  packets: number;
  bytes: number;
  txPackets: number;
  rxPackets: number;
  txBytes: number;
  rxBytes: number;
  /** Upper bound of what this row may over-count (0 while the table is exact). */
  error: number;
}

export class EndpointTable {
  /**
   * Open-addressing index key → row (linear probing, at most half full), rebuilt after each
   * compaction: a Map here churned tens of MB under a scan of a million addresses.
   */
  private slots: Int32Array;
  private readonly mask: number;
  private keys = new Float64Array(256);
  private readonly cols: Float64Array[] = [];
  private n = 0;
  /** Rows dropped to make room. */
  evicted = 0;
  private readonly cap: number;

  constructor(cap = MAX_EXACT_ENDPOINTS) {
    this.cap = cap;
    for (let i = 0; i < COLS; i++) this.cols.push(new Float64Array(256));
    let size = 16;
    while (size < cap * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  get exact(): boolean {
    return this.evicted === 0;
  }

  get size(): number {
    return this.n;
  }

  /** One packet of `len` bytes from `src` to `dst` (keys of AddressTable). */
  add(src: number, dst: number, len: number): void {
    const s = this.row(src);
    const d = dst === src ? -1 : this.row(dst);
    const c = this.cols;
    bump(c[PACKETS] as Float64Array, s, 1);
    bump(c[BYTES] as Float64Array, s, len);
    bump(c[TX_PACKETS] as Float64Array, s, 1);
    bump(c[TX_BYTES] as Float64Array, s, len);
    if (d < 0) return;
    bump(c[PACKETS] as Float64Array, d, 1);
    bump(c[BYTES] as Float64Array, d, len);
    bump(c[RX_PACKETS] as Float64Array, d, 1);
    bump(c[RX_BYTES] as Float64Array, d, len);
  }

  /** The address key of row i (0 ≤ i < size). */
  keyAt(i: number): number {
    return this.keys[i] as number;
  }

  /** Packets of row i. */
  packetsAt(i: number): number {
    return (this.cols[PACKETS] as Float64Array)[i] as number;
  }

  /** Row i as an object (made when asked: a scan's report makes them one at a time as it writes them). */
  rowAt(i: number): EndpointRow {
    const c = this.cols;
    return {
      key: this.keys[i] as number,
      packets: (c[PACKETS] as Float64Array)[i] as number,
      bytes: (c[BYTES] as Float64Array)[i] as number,
      txPackets: (c[TX_PACKETS] as Float64Array)[i] as number,
      rxPackets: (c[RX_PACKETS] as Float64Array)[i] as number,
      txBytes: (c[TX_BYTES] as Float64Array)[i] as number,
      rxBytes: (c[RX_BYTES] as Float64Array)[i] as number,
      error: (c[ERROR] as Float64Array)[i] as number,
    };
  }

  rows(): EndpointRow[] {
    return Array.from({ length: this.n }, (_, i) => this.rowAt(i));
  }

  private row(key: number): number {
    let h = slot(key) & this.mask;
    for (let r = this.slots[h] as number; r >= 0; r = this.slots[h] as number) {
      if (this.keys[r] === key) return r;
      h = (h + 1) & this.mask;
    }
    if (this.n === this.cap) {
      this.compact();
      return this.row(key);
    }
    if (this.n === this.keys.length) this.grow();
    const j = this.n++;
    this.keys[j] = key;
    this.slots[h] = j;
    for (let k = 0; k < COLS; k++) (this.cols[k] as Float64Array)[j] = 0;
    // a newcomer may have been here before and dropped: it may be under-counted by the floor
    (this.cols[ERROR] as Float64Array)[j] = this.floor;
    return j;
  }

  /** Packets a dropped address may have had: the error bound of every row added since. */
  private floor = 0;

  /**
   * The table is full: keep the heavier half (Misra–Gries style, in batches so that a scan of a
   * million addresses costs a sort every cap/2 newcomers, not a scan per packet).
   */
  private compact(): void {
    const packets = this.cols[PACKETS] as Float64Array;
    const sorted = packets.slice(0, this.n).sort();
    const threshold = sorted[this.n >> 1] as number;
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      const p = packets[r] as number;
      if (p < threshold || (p === threshold && w >= this.n >> 1)) {
        this.evicted++;
        if (p > this.floor) this.floor = p;
        continue;
      }
      if (w !== r) {
        this.keys[w] = this.keys[r] as number;
        for (let k = 0; k < COLS; k++) {
          const col = this.cols[k] as Float64Array;
          col[w] = col[r] as number;
        }
      }
      w++;
    }
    this.n = w;
    this.slots.fill(-1);
    for (let r = 0; r < w; r++) {
      let h = slot(this.keys[r] as number) & this.mask;
      while ((this.slots[h] as number) >= 0) h = (h + 1) & this.mask;
      this.slots[h] = r;
    }
  }

  private grow(): void {
    const size = Math.min(this.cap, this.keys.length * 2);
    const keys = new Float64Array(size);
    keys.set(this.keys);
    this.keys = keys;
    for (let k = 0; k < COLS; k++) {
      const col = new Float64Array(size);
      col.set(this.cols[k] as Float64Array);
      this.cols[k] = col;
    }
  }
}

/** A key (an AddressTable key: up to 2^33) spread over 32 bits. */
function slot(key: number): number {
  let x = (key >>> 0) ^ Math.floor(key / 4294967296); // key >>> 0: key % 2^32, without a float modulo
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function bump(col: Float64Array, i: number, by: number): void {
  col[i] = (col[i] as number) + by;
}

const PACKETS = 0;
const BYTES = 1;
const TX_PACKETS = 2;
const RX_PACKETS = 3;
const TX_BYTES = 4;
const RX_BYTES = 5;
const ERROR = 6;
const COLS = 7;
