/**
 * One error tree. Every failure ctconnect reports is a CtError: it carries the exit code, lines of
 * details and, where the fault is in a file the user gave, its position. Two kinds below it:
 * a UserError is something the user can fix (a bad site file, an unreachable host, a refused
 * host key) and exits 1; an InternalError is a bug or an environment fault and exits 2. The
 * specialised errors of the layers above (deploy failure, escaping, merging, config patching,
 * reading an event) are UserErrors, so a caller that only needs the exit code and the message
 * handles all of them alike.
 */

/** Where in a file the user gave a fault is: 1-based line and column. */
export interface SourcePosition {
  file?: string;
  line: number;
  column: number;
}

export interface ErrorOptions {
  details?: string[];
  position?: SourcePosition;
  cause?: unknown;
}

export abstract class CtError extends Error {
  abstract readonly exitCode: 1 | 2;
  readonly details: string[];
  readonly position?: SourcePosition;
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
    this.position = options.position;
  }
}

/** Something the user can fix; exit 1. `details` are printed under the message, one per line. */
export class UserError extends CtError {
  readonly exitCode = 1;
  constructor(message: string, details: string[] = [], options: Omit<ErrorOptions, 'details'> = {}) {
    super(message, { ...options, details });
  }
}

/** A bug or a fault of this machine, not of the input; exit 2. */
export class InternalError extends CtError {
  readonly exitCode = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Text that does not have the shape its reader expects: an event from CyberTrace, a file given to import. */
export class ReadError extends UserError {}

/** "file:line:col: " in front of a message, as editors and terminals link it. */
export function atPosition(p: SourcePosition): string {
  return `${p.file === undefined ? '' : `${p.file}:`}${p.line}:${p.column}`;
}
