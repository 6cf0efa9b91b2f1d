/**
 * gzip (RFC 1952) decompression that knows where each member ends.
 *
 * Node's Gunzip cannot say so: bytes after the last member that start with 0x00 are dropped
 * without a word, and any other trailing bytes are taken for a new member and fail with
 * "incorrect header check", which also throws away the last decompressed chunk of a perfectly
 * good stream. So the member framing is read here (header, then the raw deflate body through
 * InflateRaw, which stops at the end of the deflate stream and counts the bytes it used, then the
 * CRC-32/ISIZE trailer), and what follows the last member is judged as `gzip -t` does: more
 * members, zero padding (accepted), or trailing garbage (reported).
 */
import { createInflateRaw, crc32 } from 'node:zlib';

// RFC 1952 §2.3
const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FIXED_HEADER_LEN = 10;
const TRAILER_LEN = 8;
const FLG_FHCRC = 0x02;
const FLG_FEXTRA = 0x04;
const FLG_FNAME = 0x08;
const FLG_FCOMMENT = 0x10;
const FLG_RESERVED = 0xe0;
/** A file name or comment longer than this is not a gzip header but garbage that looks like one. */
const MAX_HEADER_FIELD = 1 << 20;
const EMPTY = new Uint8Array(0);

export interface GunzipEnd {
  /** Why the stream is unusable from some point on (cut short, corrupt), null when it is whole. */
  error: string | null;
  /** A `gzip -t`-like note about bytes after the last member, null when there are none (or only zeros). */
  trailing: string | null;
}

/** The compressed input as a byte queue, pulled chunk by chunk. */
class Input {
  buf: Uint8Array = EMPTY;
  /** Offset in the compressed input of buf[0]. */
  at = 0;
  done = false;

  constructor(private readonly src: AsyncIterator<Uint8Array>) {}

  /** Appends the next chunk; false at the end of input. */
  async more(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.src.next();
    if (r.done === true) {
      this.done = true;
      return false;
    }
    // Copy only when bytes are left over: the usual case is a drained buffer and a fresh chunk.
    this.buf = this.buf.length === 0 ? r.value : concat(this.buf, r.value);
    return true;
  }

  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) if (!(await this.more())) return false;
    return true;
  }

  take(n: number): Uint8Array {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.at += n;
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Decompressed chunks of every member, in order; returns how the stream ended. Never throws for
 * bad gzip data (that is `error`); read errors of the source propagate.
 */
export async function* gunzipMembers(src: AsyncIterator<Uint8Array>, chunkSize: number): AsyncGenerator<Uint8Array, GunzipEnd, undefined> {
  const input = new Input(src);
  for (let member = 0; ; member++) {
    if (member > 0) {
      if (!(await input.fill(1))) return { error: null, trailing: null };
      if (input.buf[0] !== ID1) return trailingData(input);
    }
    const header = await readHeader(input);
    if (header !== null) {
      return member > 0 && header === 'not gzip' ? trailingData(input) : { error: header === 'not gzip' ? 'not in gzip format' : header, trailing: null };
    }
    const body = yield* inflateBody(input, chunkSize);
    if (body.error !== null) return { error: body.error, trailing: null };
    if (!(await input.fill(TRAILER_LEN))) return { error: 'the gzip stream is cut short (its CRC-32 and length trailer are missing)', trailing: null };
    const t = input.take(TRAILER_LEN);
    const crc = (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
    const isize = (t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24)) >>> 0;
    if (crc !== body.crc) return { error: `CRC-32 mismatch in gzip member ${member + 1} (the data is corrupt)`, trailing: null };
    if (isize !== body.size % 0x1_0000_0000) return { error: `length mismatch in gzip member ${member + 1} (the data is corrupt)`, trailing: null };
  }
}

/** Consumes a member header; null when it is sound, else what is wrong ('not gzip' when the magic is absent). */
async function readHeader(input: Input): Promise<string | null> {
  if (!(await input.fill(2))) return 'the gzip stream is cut short (in a member header)';
  if (input.buf[0] !== ID1 || input.buf[1] !== ID2) return 'not gzip';
  if ((await input.fill(3)) && input.buf[2] !== CM_DEFLATE) return `unknown gzip compression method ${input.buf[2]!}`;
  if (!(await input.fill(FIXED_HEADER_LEN))) return 'the gzip stream is cut short (in a member header)';
  const flg = input.buf[3]!;
  if ((flg & FLG_RESERVED) !== 0) return `reserved gzip header flags set (0x${flg.toString(16)})`;
  let len = FIXED_HEADER_LEN;
  if ((flg & FLG_FEXTRA) !== 0) {
    if (!(await input.fill(len + 2))) return 'the gzip stream is cut short (in a member header)';
    len += 2 + (input.buf[len]! | (input.buf[len + 1]! << 8));
  }
  for (const flag of [FLG_FNAME, FLG_FCOMMENT]) {
    if ((flg & flag) === 0) continue;
    for (;;) {
      if (!(await input.fill(len + 1))) return 'the gzip stream is cut short (in a member header)';
      if (input.buf[len++] === 0) break;
      if (len > MAX_HEADER_FIELD) return 'gzip header file name or comment without an end';
    }
  }
  if ((flg & FLG_FHCRC) !== 0) len += 2;
  if (!(await input.fill(len))) return 'the gzip stream is cut short (in a member header)';
  input.take(len);
  return null;
}

/**
 * Inflates one member's deflate body, yielding its output; leaves `input` at the first byte after
 * the body (InflateRaw stops at the end of the deflate stream and says how many bytes it used).
 */
async function* inflateBody(input: Input, chunkSize: number): AsyncGenerator<Uint8Array, { error: string | null; crc: number; size: number }, undefined> {
  const inflate = createInflateRaw({ chunkSize });
  const out: Buffer[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  inflate.on('data', (d: Buffer) => {
    out.push(d);
    poke();
  });
  inflate.on('end', () => {
    ended = true;
    poke();
  });
  inflate.on('error', (e: Error) => {
    failure = e;
    poke();
  });
  // Bytes handed to inflate, kept until it has used them, so that what follows the body can be found.
  const written: Uint8Array[] = [];
  let writtenFrom = input.at; // compressed offset of written[0][0]
  const bodyStart = input.at;
  let crc = 0;
  let size = 0;
  let inputEnded = false;
  try {
    for (;;) {
      while (out.length > 0) {
        const d = out.shift()!;
        crc = crc32(d, crc);
        size += d.length;
        yield d;
      }
      if (failure !== null) return { error: (failure as Error).message, crc, size };
      if (ended) break;
      // Drop what inflate has used; keep the rest.
      const used = bodyStart + inflate.bytesWritten;
      while (written.length > 0 && writtenFrom + written[0]!.length <= used) writtenFrom += written.shift()!.length;
      if (inflate.writableLength < chunkSize && !inputEnded) {
        if (input.buf.length === 0 && !(await input.more())) {
          inputEnded = true;
          inflate.end(); // an unfinished deflate stream now fails: "unexpected end of file"
          continue;
        }
        const chunk = input.take(input.buf.length);
        written.push(chunk);
        inflate.write(chunk, poke);
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    // Everything after the deflate stream goes back in front of the unread input.
    const used = bodyStart + inflate.bytesWritten;
    let rest: Uint8Array = EMPTY;
    for (const c of written) {
      const from = Math.max(0, used - writtenFrom);
      if (from < c.length) rest = concat(rest, c.subarray(from));
      writtenFrom += c.length;
    }
    input.buf = concat(rest, input.buf);
    input.at = used;
    return { error: null, crc, size };
  } finally {
    inflate.removeAllListeners('data');
    inflate.on('error', () => undefined); // a late error after we are done must not go unhandled
    inflate.destroy();
  }
}

/** After the last member: zeros are padding (as gzip accepts); anything else is reported. */
async function trailingData(input: Input): Promise<GunzipEnd> {
  const startAt = input.at;
  let nonZero = false;
  do {
    if (!nonZero && input.buf.some((b) => b !== 0)) nonZero = true;
    input.take(input.buf.length);
  } while (await input.more());
  if (!nonZero) return { error: null, trailing: null };
  const n = input.at - startAt;
  return {
    error: null,
    trailing: `decompression OK, trailing garbage ignored (as gzip -t says): ${n} byte${n === 1 ? '' : 's'} after the end of the gzip data, at compressed byte ${startAt}, are not gzip data and were not read`,
  };
}
