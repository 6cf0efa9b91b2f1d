/**
 * Errors that stop a whole input. Everything else that is wrong with a packet is data
 * (a `problem` on its record), never an exception.
 */

/** The input is not a capture file we can read (bad magic, unsupported version). */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/** The input could not be opened or read (ENOENT, EACCES, EISDIR...). */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string, readonly path: string, override readonly cause?: unknown) {
    super(message);
  }
}
