/** JSON Schema fragments for values that land in configs: the core's site schema and the connectors' option schemas share them. */

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;

/** Names that end up inside configs: a conservative character set, no quotes or separators. */
export const categoryName = {
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,127}$',
  description: 'a feed category name (a letter, then letters, digits, "_", "-", "."; at most 128)',
} as const;

/** An IPv4 address or a DNS host name (no ports, no spaces, no quotes). */
export const hostAddress = {
  type: 'string',
  // A name made of digits and dots only is a mistyped IPv4 address, not a host name.
  anyOf: [{ format: 'ipv4' }, { format: 'hostname', pattern: '[A-Za-z]' }],
  description: 'an IPv4 address or a host name',
} as const;

export const ipv4Address = { type: 'string', format: 'ipv4', description: 'an IPv4 address' } as const;

/** An absolute POSIX path without characters that would need quoting in configs or shells. */
export const absolutePath = {
  type: 'string',
  // No ".." segment: the path a value names must be the path the user reads in it.
  pattern: '^(?!.*/\\.\\.(?:/|$))/[A-Za-z0-9_./+-]*$',
  description: 'an absolute path (letters, digits, "_", "-", ".", "/", "+") without ".." segments',
} as const;

export const portNumber = port;

/** A name or label shown in a SIEM console and in Markdown tables: one line, no "|" or backticks. */
export const consoleLabel = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\r\\n|`]+$',
  description: 'text without line breaks, "|" or backticks',
} as const;
