/**
 * CEF (ArcSight Common Event Format) parse and serialize, plus the KATA alert reader.
 *
 * The parser is lenient where real senders are sloppy (syslog prefix, spaces around
 * header fields, unknown escapes, truncated tails) and strict where guessing would
 * silently corrupt data (missing header fields, text that is not key=value).
 * The serializer is strict: whatever it emits must parse back to the same event.
 */
import { UserError } from '../kernel/errors.js';

export interface CefEvent {
  version: number;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  deviceEventClassId: string;
  name: string;
  severity: string;
  /** Values unescaped; keys exactly as the sender wrote them (KATA sends `fName`, `cs1label`). */
  extension: Record<string, string>;
  /** Keys in the order they appeared (first occurrence). */
  extensionOrder: string[];
  /** True when the sender cut the message short (dangling escape or length limit reached). */
  truncated: boolean;
  /** Whatever preceded `CEF:` (a syslog header), trailing whitespace removed; absent when none. */
  prefix?: string;
}

export interface ParseCefOptions {
  /**
   * The sender's maximum message size in UTF-8 bytes (KATA: 32768 by default).
   * A line that reaches it is assumed to have been cut at the end.
   */
  maxLength?: number;
}

export interface CefInput {
  version?: number;
  deviceVendor: string;
  deviceProduct: string;
  deviceVersion: string;
  deviceEventClassId: string;
  name: string;
  severity: string;
  extension: Record<string, string> | [string, string][];
}

/** A line that is not CEF, or is broken where it cannot be recovered. `column` is 1-based. */
export class CefParseError extends UserError {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {
    super(`CEF parse error at column ${column}: ${reason}`);
    this.name = 'CefParseError';
  }
}

/** Input that cannot be written as valid CEF. */
export class CefSerializeError extends UserError {
  constructor(message: string) {
    super(`cannot serialize CEF: ${message}`);
    this.name = 'CefSerializeError';
  }
}

export const CEF_KEY_RE = /^[A-Za-z0-9_.[\]-]+$/;
const SEVERITY_WORDS = ['Unknown', 'Low', 'Medium', 'High', 'Very-High'];
const HEADER_NAMES = ['version', 'deviceVendor', 'deviceProduct', 'deviceVersion', 'deviceEventClassId', 'name', 'severity'] as const;

// Space, tab and stray CR/LF separate pairs; other Unicode spaces stay part of values.
const WS = '[ \\t\\r\\n]';
const FIRST_KEY_RE = new RegExp(`^${WS}*([A-Za-z0-9_.\\[\\]-]+)=`);
// A key character is never a backslash, so the `=` matched here is never an escaped one.
const NEXT_KEY_RE = new RegExp(`${WS}+([A-Za-z0-9_.\\[\\]-]+)=`, 'g');
const TRAILING_WS_RE = new RegExp(`${WS}+$`);
// `CEF:` must start a token, so a hostname like `myCEF:` in the prefix is not taken for it.
const CEF_START_RE = /(?:^|[^A-Za-z0-9])CEF:/;

export function parseCef(line: string, options: ParseCefOptions = {}): CefEvent {
  const m = CEF_START_RE.exec(line);
  if (!m) throw new CefParseError("not a CEF message: no 'CEF:' marker", 1);
  const start = m.index + m[0].length - 'CEF:'.length;
  const prefix = line.slice(0, start).replace(TRAILING_WS_RE, '');

  // Header: split on unescaped pipes, unescaping `\|` and `\\` as we go.
  const fields: string[] = [];
  const fieldCols: number[] = [];
  let cur = '';
  let i = start + 'CEF:'.length;
  let fieldStart = i;
  while (i < line.length && fields.length < HEADER_NAMES.length) {
    const c = line[i];
    if (c === '\\' && (line[i + 1] === '|' || line[i + 1] === '\\')) {
      cur += line[i + 1];
      i += 2;
    } else if (c === '|') {
      fields.push(cur);
      fieldCols.push(fieldStart + 1);
      cur = '';
      i++;
      fieldStart = i;
    } else {
      cur += c;
      i++;
    }
  }
  if (fields.length < HEADER_NAMES.length) {
    throw new CefParseError(
      `message ends inside the header: ${fields.length} of ${HEADER_NAMES.length} header fields ` + `found, '${HEADER_NAMES[fields.length]}' is incomplete`,
      line.length + 1,
    );
  }
  if (!/^\d+$/.test(fields[0])) {
    throw new CefParseError(`CEF version '${fields[0]}' is not a number`, fieldCols[0]);
  }

  const lengthHit = options.maxLength !== undefined && Buffer.byteLength(line, 'utf8') >= options.maxLength;
  const ext = parseExtension(line.slice(i), i, lengthHit);

  const ev: CefEvent = {
    version: Number(fields[0]),
    deviceVendor: fields[1],
    deviceProduct: fields[2],
    deviceVersion: fields[3],
    deviceEventClassId: fields[4],
    name: fields[5],
    severity: fields[6],
    extension: ext.values,
    extensionOrder: ext.order,
    truncated: lengthHit || ext.dangling,
  };
  if (prefix !== '') ev.prefix = prefix;
  return ev;
}

function parseExtension(text: string, offset: number, lengthHit: boolean): { values: Record<string, string>; order: string[]; dangling: boolean } {
  // Null prototype: a key called `__proto__` or `constructor` is data, not a trap.
  const values: Record<string, string> = Object.create(null);
  const order: string[] = [];
  let dangling = false;
  if (text.replace(TRAILING_WS_RE, '') === '') return { values, order, dangling };

  const first = FIRST_KEY_RE.exec(text);
  if (!first) {
    // A length cut can leave only the start of the first key; that is not worth an error.
    if (lengthHit && !text.includes('=')) return { values, order, dangling };
    const col = offset + text.search(/[^ \t\r\n]/) + 1;
    throw new CefParseError('extension must start with key=value', col);
  }

  let key = first[1];
  let valueStart = first[0].length;
  NEXT_KEY_RE.lastIndex = valueStart;
  for (;;) {
    const next = NEXT_KEY_RE.exec(text);
    let raw: string;
    if (next) {
      raw = text.slice(valueStart, next.index);
    } else {
      raw = text.slice(valueStart);
      // An odd run of trailing backslashes is an escape the sender cut in half.
      const tail = /\\+$/.exec(raw);
      if (tail && tail[0].length % 2 === 1) {
        dangling = true;
        raw = raw.slice(0, -1);
      } else {
        raw = raw.replace(TRAILING_WS_RE, '');
      }
    }
    if (!(key in values)) order.push(key);
    values[key] = unescapeValue(raw);
    if (!next) break;
    key = next[1];
    valueStart = next.index + next[0].length;
    NEXT_KEY_RE.lastIndex = valueStart;
  }
  return { values: { ...values }, order, dangling };
}

function unescapeValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const n = raw[i + 1];
    if (n === '=' || n === '\\' || n === '|') out += n;
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else {
      // Unknown escape: keep it as written rather than guess.
      out += c;
      continue;
    }
    i++;
  }
  return out;
}

/** Case-insensitive extension lookup: an exact match wins, then the first key equal ignoring case. */
export function getField(ev: Pick<CefEvent, 'extension'>, key: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(ev.extension, key)) return ev.extension[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(ev.extension)) {
    if (k.toLowerCase() === lower) return ev.extension[k];
  }
  return undefined;
}

export function isValidCefSeverity(severity: string): boolean {
  return /^(?:[0-9]|10)$/.test(severity) || SEVERITY_WORDS.includes(severity);
}

export function serializeCef(ev: CefInput): string {
  const version = ev.version ?? 0;
  if (!Number.isInteger(version) || version < 0) {
    throw new CefSerializeError(`version must be a non-negative integer, got ${String(ev.version)}`);
  }
  if (typeof ev.severity !== 'string' || !isValidCefSeverity(ev.severity)) {
    throw new CefSerializeError(`severity '${String(ev.severity)}' is not 0-10 or one of ${SEVERITY_WORDS.join(', ')}`);
  }
  const header = HEADER_NAMES.slice(1).map((name) => escapeHeader(name, ev[name]));

  const pairs = Array.isArray(ev.extension) ? ev.extension : Object.entries(ev.extension);
  const seen = new Set<string>();
  const ext = pairs.map(([key, value]) => {
    if (typeof key !== 'string' || !CEF_KEY_RE.test(key)) {
      throw new CefSerializeError(`extension key '${String(key)}' must match ${CEF_KEY_RE}`);
    }
    if (seen.has(key)) throw new CefSerializeError(`extension key '${key}' appears twice`);
    seen.add(key);
    if (typeof value !== 'string') {
      throw new CefSerializeError(`value of '${key}' must be a string, got ${typeof value}`);
    }
    // CEF has no escape for a space, and a parser cannot tell trailing blanks from the separator.
    if (/[ \t]$/.test(value)) {
      throw new CefSerializeError(`value of '${key}' ends with whitespace, which CEF cannot carry`);
    }
    return `${key}=${escapeExtensionValue(value)}`;
  });

  return `CEF:${version}|${header.join('|')}|${ext.join(' ')}`;
}

function escapeHeader(name: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new CefSerializeError(`header field '${name}' must be a string, got ${typeof value}`);
  }
  if (/[\r\n]/.test(value)) {
    throw new CefSerializeError(`header field '${name}' contains a line break`);
  }
  return value.replace(/[\\|]/g, (c) => `\\${c}`);
}

export function escapeExtensionValue(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

// ---- Kaspersky Anti Targeted Attack Platform alerts ----

export const KATA_VENDOR = 'AO Kaspersky Lab';
export const KATA_PRODUCT = 'Kaspersky Anti Targeted Attack Platform';
/** KATA's default maximum syslog message size; longer alerts are cut at the end. */
export const KATA_MAX_MESSAGE_BYTES = 32768;

export interface KataAlert {
  /** Alert type from the class-ID field: `file_web`, `url_web`, `ids`, `dns`, `heartbeat`, … */
  type: string;
  name: string;
  /** `Low` | `Medium` | `High`, or `0` for heartbeats. */
  severity: string;
  productVersion: string;
  fields: Record<string, string>;
  isHeartbeat: boolean;
  truncated: boolean;
  /** The Central Node: `dvchost` (KATA 5.x, host name) or `dvc` (4.x, IP address). */
  hostField?: string;
  event: CefEvent;
}

export class KataAlertError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'KataAlertError';
  }
}

export function parseKataAlert(line: string, options: ParseCefOptions = {}): KataAlert {
  const event = parseCef(line, { maxLength: KATA_MAX_MESSAGE_BYTES, ...options });
  // KATA's own documented example pads header fields with spaces.
  const vendor = event.deviceVendor.trim();
  const product = event.deviceProduct.trim();
  if (vendor !== KATA_VENDOR || product !== KATA_PRODUCT) {
    throw new KataAlertError(`not a KATA alert: vendor/product is '${vendor}' / '${product}', ` + `expected '${KATA_VENDOR}' / '${KATA_PRODUCT}'`);
  }
  const type = event.deviceEventClassId.trim();
  return {
    type,
    name: event.name.trim(),
    severity: event.severity.trim(),
    productVersion: event.deviceVersion.trim(),
    fields: event.extension,
    isHeartbeat: type === 'heartbeat',
    truncated: event.truncated,
    hostField: getField(event, 'dvchost') ?? getField(event, 'dvc'),
    event,
  };
}
