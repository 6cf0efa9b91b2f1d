/** The errors a command throws for main() to turn into a message and an exit code. */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command's own "it ran but the result is incomplete" outcome, with its exit code. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export type SetExit = (code: number) => void;
