/**
 * An independent LEEF reader, written from IBM's specification ("LEEF event components" of the
 * IBM QRadar LEEF guide, version 2) and not from the project's parser, so that the tests can tell
 * when the two disagree:
 * - an optional syslog header: RFC 3164 `[<PRI>]Mmm dd hh:mm:ss host ` (priority optional) or
 *   RFC 5424 `<PRI>1 yyyy-MM-ddTHH:mm:ss.SSSZ host ` (priority required), then one space;
 * - the header `LEEF:1.0|Vendor|Product|Version|EventID|` or
 *   `LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|`, where the delimiter is one
 *   character or `x`/`0x` followed by 1-4 hex digits; LEEF 1.0 attributes are tab-separated;
 * - attributes `key=value` separated by the delimiter. The specification defines no escape, so a
 *   segment without `=` is not an attribute: this reader lists it under `stray` rather than
 *   guessing where it belongs.
 */

export interface SpecLeef {
  syslog?: { pri?: number; timestamp: string; host: string; rfc: 3164 | 5424 };
  version: string;
  vendor: string;
  product: string;
  productVersion: string;
  eventId: string;
  delimiter: string;
  attributes: Array<{ key: string; value: string }>;
  stray: string[];
}

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const RFC3164 = new RegExp(`^(?:<(\\d{1,3})>)?((?:${MONTHS}) (?:[ 1-3]\\d|\\d{2}) \\d{2}:\\d{2}:\\d{2}) (\\S+) `);
const RFC5424 = /^<(\d{1,3})>1 (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})) (\S+) /;

/** Reads header fields one `|` at a time (the header has no escapes). */
function takeField(text: string, at: number): [string, number] {
  const end = text.indexOf('|', at);
  if (end < 0) throw new Error(`header field at ${at} has no closing "|"`);
  return [text.slice(at, end), end + 1];
}

function delimiterFrom(field: string): string {
  const hex = /^(?:0x|x)([0-9a-fA-F]{1,4})$/.exec(field);
  if (hex) return String.fromCharCode(Number.parseInt(hex[1], 16));
  if (Array.from(field).length !== 1) throw new Error(`delimiter field "${field}" is not one character or a hex value`);
  return field;
}

export function readLeefBySpec(line: string): SpecLeef {
  let rest = line;
  let syslog: SpecLeef['syslog'];
  if (!rest.startsWith('LEEF:')) {
    const m5 = RFC5424.exec(rest);
    const m3 = m5 ? null : RFC3164.exec(rest);
    if (m5) syslog = { pri: Number(m5[1]), timestamp: m5[2], host: m5[3], rfc: 5424 };
    else if (m3) syslog = { ...(m3[1] !== undefined ? { pri: Number(m3[1]) } : {}), timestamp: m3[2], host: m3[3], rfc: 3164 };
    else throw new Error('neither a LEEF header nor an RFC 3164/5424 syslog header followed by one');
    rest = rest.slice((m5 ?? m3)![0].length);
    if (!rest.startsWith('LEEF:')) throw new Error('the syslog header is not followed by a LEEF header');
  }
  let at = 'LEEF:'.length;
  const header: string[] = [];
  for (let i = 0; i < 5; i++) {
    const [field, next] = takeField(rest, at);
    header.push(field);
    at = next;
  }
  const [version, vendor, product, productVersion, eventId] = header as [string, string, string, string, string];
  if (version !== '1.0' && version !== '2.0') throw new Error(`LEEF version "${version}"`);
  let delimiter = '\t';
  if (version === '2.0') {
    let field: string;
    [field, at] = takeField(rest, at);
    delimiter = delimiterFrom(field);
  }
  const attributes: SpecLeef['attributes'] = [];
  const stray: string[] = [];
  let start = at;
  for (let i = at; i <= rest.length; i++) {
    if (i < rest.length && rest[i] !== delimiter) continue;
    const segment = rest.slice(start, i);
    start = i + 1;
    const eq = segment.indexOf('=');
    if (eq > 0) attributes.push({ key: segment.slice(0, eq), value: segment.slice(eq + 1) });
    else if (segment !== '') stray.push(segment);
  }
  return { ...(syslog ? { syslog } : {}), version, vendor, product, productVersion, eventId, delimiter, attributes, stray };
}

/** What a LEEF expression (a key name, as the DSM Editor takes it) selects from an event: the value of the first attribute with that key. */
export function leefExpression(event: SpecLeef, key: string): string | undefined {
  return event.attributes.find((a) => a.key === key)?.value;
}
