/**
 * Two kinds of failure, two exit codes: a UserError is something the user can fix
 * (bad site file, unreachable host, refused host key) and exits 1; anything else is a
 * bug or an environment fault and exits 2. The CLI says which one it was.
 */
export class UserError extends Error {
  readonly exitCode = 1;
  constructor(message: string, readonly details: string[] = []) {
    super(message);
    this.name = 'UserError';
  }
}

export class InternalError extends Error {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalError';
  }
}
