/**
 * LEEF (IBM's Log Event Extended Format, versions 1.0 and 2.0), only as much as connectors need:
 * write the header, and read an event with its optional syslog header.
 *
 * IBM QRadar LEEF guide, "LEEF event components"
 * (https://www.ibm.com/docs/en/dsm?topic=overview-leef-event-components):
 * `LEEF:1.0|Vendor|Product|Version|EventID|` then attributes separated by tabs;
 * `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|` then attributes separated by the declared
 * delimiter, one character or its hex form (`x09`, `0x5E`: `x` or `0x` and 1 to 4 hex digits).
 * The specification has no escape for the delimiter inside a value; this reader lets a segment
 * without `=` continue the previous value (the writer keeps the delimiter out of what it controls).
 */
import { InternalError, ReadError } from '../kernel/errors.js';
import { parseSyslog, type SyslogMessage } from './syslog.js';

export interface LeefHeader {
  version: '1.0' | '2.0';
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  /** The attribute delimiter (a tab for LEEF 1.0). */
  delimiter: string;
}

export interface LeefEvent extends LeefHeader {
  /** Key/value attributes in order. */
  attributes: Array<[string, string]>;
  /** The syslog header in front of `LEEF:`, if any. */
  syslog?: Pick<SyslogMessage, 'format' | 'pri' | 'timestamp' | 'host'>;
}

/** How a LEEF 2.0 header declares `delimiter`: printable ASCII as itself, anything else in hex (`x09`). */
export function leefDelimiterField(delimiter: string): string {
  if ([...delimiter].length !== 1) throw new InternalError(`a LEEF delimiter is one character, got ${JSON.stringify(delimiter)}`);
  const code = delimiter.codePointAt(0)!;
  if (code > 0x20 && code < 0x7f && delimiter !== '|') return delimiter;
  if (code > 0xffff) throw new InternalError(`a LEEF delimiter is at most 4 hex digits, got U+${code.toString(16).toUpperCase()}`);
  return `x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Reads a LEEF 2.0 delimiter field (a character, or `x`/`0x` and 1 to 4 hex digits). */
export function leefDelimiterOf(field: string): string {
  const hex = /^(?:0x|x)([0-9A-Fa-f]{1,4})$/.exec(field);
  if (hex) return String.fromCharCode(parseInt(hex[1], 16));
  if ([...field].length !== 1) throw new ReadError(`LEEF 2.0 delimiter field ${JSON.stringify(field)} is neither one character nor a hex value`);
  return field;
}

/** A LEEF header; header fields must not hold `|` (the specification has no escape for it). */
export function leefHeader(h: LeefHeader): string {
  for (const [name, v] of [
    ['vendor', h.vendor],
    ['product', h.product],
    ['version', h.productVersion],
    ['event id', h.eventId],
  ] as const) {
    if (/[|\r\n]/.test(v)) throw new InternalError(`LEEF header ${name} ${JSON.stringify(v)} must not contain "|" or a line break`);
  }
  const base = `LEEF:${h.version}|${h.vendor}|${h.product}|${h.productVersion}|${h.eventId}|`;
  return h.version === '2.0' ? `${base}${leefDelimiterField(h.delimiter)}|` : base;
}

/** Splits the attribute text by the delimiter; a key ends at the first `=`; a segment without `=` continues the value before it. */
export function leefAttributes(text: string, delimiter: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const segment of text.split(delimiter)) {
    const at = segment.indexOf('=');
    if (at <= 0) {
      if (out.length > 0) out[out.length - 1][1] += delimiter + segment;
      continue;
    }
    out.push([segment.slice(0, at), segment.slice(at + 1)]);
  }
  return out;
}

/** Parses one LEEF event, with or without a syslog header; throws ReadError saying what is wrong. */
export function parseLeef(line: string): LeefEvent {
  if (/[\r\n]/.test(line)) throw new ReadError('a LEEF event is one line');
  const start = line.indexOf('LEEF:');
  if (start < 0) throw new ReadError('no "LEEF:" header');
  let syslog: LeefEvent['syslog'];
  // IBM's RFC 5424 form has no APP-NAME/PROCID/MSGID: `<13>1 2019-01-18T11:07:53.520Z host LEEF:…`.
  const short5424 = /^<(\d{1,3})>1 (\S+) (\S+) LEEF:/.exec(line);
  if (short5424) {
    syslog = { format: 'rfc5424', pri: Number(short5424[1]), timestamp: short5424[2], host: short5424[3] };
  } else if (start > 0) {
    const s = parseSyslog(line);
    if (!s.msg.startsWith('LEEF:')) throw new ReadError(`text before the LEEF header is not a syslog header: ${JSON.stringify(line.slice(0, start))}`);
    syslog = { format: s.format, pri: s.pri, timestamp: s.timestamp, host: s.host };
  }
  const rest = line.slice(start);
  const m = /^LEEF:(1\.0|2\.0)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|/.exec(rest);
  if (!m) throw new ReadError('the LEEF header is not LEEF:1.0|Vendor|Product|Version|EventID| or LEEF:2.0|…|Delimiter|');
  const version = m[1] as '1.0' | '2.0';
  let body = rest.slice(m[0].length);
  let delimiter = '\t';
  if (version === '2.0') {
    // The delimiter field may itself be "|": "||" then the attributes.
    const field = body.startsWith('||') ? '|' : body.slice(0, body.indexOf('|'));
    if (body.indexOf('|') < 0) throw new ReadError('LEEF 2.0 header has no delimiter field');
    delimiter = leefDelimiterOf(field);
    body = body.slice(field.length + 1);
  }
  return {
    version,
    vendor: m[2],
    product: m[3],
    productVersion: m[4],
    eventId: m[5],
    delimiter,
    attributes: leefAttributes(body, delimiter),
    ...(syslog ? { syslog } : {}),
  };
}
