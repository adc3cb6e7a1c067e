/**
 * One escaper per format a site value can land in. Each either returns text that the
 * consumer reads back as exactly the input, or throws an EscapeError naming the format and
 * the offending character, for formats that have no escape for it (e.g. a newline in an ini value).
 */
import { UserError } from '../kernel/errors.js';

export class EscapeError extends UserError {
  constructor(format: string, value: string, reason: string) {
    super(`${format}: cannot write ${JSON.stringify(value)} safely: ${reason}`);
  }
}

function rejectControl(format: string, value: string, allowTab = false): void {
  // XML 1.0 forbids most C0 controls; configs split on newlines. None of our formats wants them raw.
  const bad = allowTab ? /[\u0000-\u0008\u000a-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/;
  const m = bad.exec(value);
  if (m) throw new EscapeError(format, value, `control character U+${m[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} is not allowed`);
}

/** Text content of an XML element. */
export function xmlText(value: string): string {
  rejectControl('XML text', value, true);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Value of a double- or single-quoted XML attribute. */
export function xmlAttr(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A CEF header field (vendor, product, version, class id, name, severity): `\` and `|` are escaped. */
export function cefHeader(value: string): string {
  rejectControl('CEF header', value);
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

/** A CEF extension value: `\`, `=` are escaped, CR/LF written as \r / \n. */
export function cefExtension(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

/**
 * A MariaDB/MySQL string literal, quotes included. Assumes the server's default sql_mode
 * (backslash escapes on, as on OSSIM appliances); ' is doubled, \ doubled, NUL rejected.
 */
export function sqlString(value: string): string {
  if (value.includes('\u0000')) throw new EscapeError('SQL string', value, 'NUL character is not allowed');
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "''")
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\u001a/g, '\\Z');
  return `'${body}'`;
}

/**
 * A value in an ossim-agent plugin .cfg (Python ConfigParser). The format has no escapes, so
 * everything the agent would change is refused: line breaks, `%` (interpolation), a
 * whitespace-then-`;`/`#` (inline comment), and leading/trailing quotes (the agent strips them).
 */
export function iniValue(value: string): string {
  rejectControl('ini value', value, true);
  if (value.includes('%')) throw new EscapeError('ini value', value, '"%" starts ConfigParser interpolation');
  if (/\s[;#]/.test(value)) throw new EscapeError('ini value', value, 'whitespace followed by ";" or "#" starts an inline comment');
  if (/^["']|["']$/.test(value)) throw new EscapeError('ini value', value, 'a leading or trailing quote is stripped by the ossim agent');
  if (value !== value.trim()) throw new EscapeError('ini value', value, 'leading or trailing whitespace is dropped by ConfigParser');
  return value;
}

/** An ini option name (e.g. a [translation] key). ConfigParser lowercases keys and splits on = and :. */
export function iniKey(value: string): string {
  rejectControl('ini key', value);
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new EscapeError('ini key', value, 'only letters, digits, "_", "." and "-" are allowed');
  return value;
}

/** Content of a double-quoted RainerScript string (rsyslog), without the quotes. */
export function rsyslogString(value: string): string {
  // Most values (addresses, ports) need nothing: one test instead of four passes (a site may list 100,000 devices).
  if (/^[^\\"'\u0000-\u001f\u007f]*$/.test(value)) return value;
  rejectControl('rsyslog string', value);
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/'/g, "\\'");
}

/** One shell word, single-quoted (POSIX sh). */
export function shellArg(value: string): string {
  if (value.includes('\u0000')) throw new EscapeError('shell argument', value, 'NUL character is not allowed');
  if (/^[A-Za-z0-9_/.:@%+=,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A Markdown table cell or inline text: pipes and backticks would break the layout. */
export function markdownText(value: string): string {
  rejectControl('Markdown text', value);
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, '\\`');
}

export const escapers = {
  xml: xmlText,
  xmlAttr,
  cefHeader,
  cefExt: cefExtension,
  sql: sqlString,
  ini: iniValue,
  iniKey,
  rsyslog: rsyslogString,
  sh: shellArg,
  md: markdownText,
} as const;
