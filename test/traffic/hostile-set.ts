/**
 * The hostile-traffic set shared by every connector: detection events as CyberTrace would send
 * them with the connector's own formats, carrying in the URL, the user name and a context value
 * what real devices log — bytes that are not UTF-8, quotes, backslashes, `=`, `|`, tabs, U+2028 —
 * and events of 7.9, 8.1, 16 and 60 KiB. Everything here is derived from a connector's
 * CyberTrace settings and its wire parser, so a registered connector is covered without more code.
 */
import type { Connector } from '../../src/connector/contract.js';
import type { FieldRole } from '../../src/model/events.js';
import { placeholdersOf, renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import type { Site } from '../../src/model/site.js';

/** A value: text, with bytes that are not UTF-8 where a Buffer stands. */
export type Piece = string | Buffer;

export interface HostileValue {
  name: string;
  pieces: Piece[];
}

const bytes = (...b: number[]) => Buffer.from(b);

/** Invalid UTF-8 at the start, middle and end, a lone continuation byte, a 4-byte character cut short. */
export const INVALID_BYTES: HostileValue[] = [
  { name: 'latin-1 byte at the start', pieces: [bytes(0x96), 'start'] },
  { name: 'latin-1 byte in the middle', pieces: ['mid', bytes(0xe9), 'dle'] },
  { name: 'latin-1 byte at the end', pieces: ['end', bytes(0x96)] },
  { name: 'lone continuation byte', pieces: ['a', bytes(0x80), 'b'] },
  { name: 'truncated 4-byte character', pieces: ['cut', bytes(0xf0, 0x9f, 0x98), 'x'] },
];

/** Characters with a meaning in some SIEM format, each in a value that is otherwise plain. */
export const SPECIAL_CHARACTERS: HostileValue[] = [
  // No spaces: URLs and user names cannot hold them (the input regexps end a value at whitespace).
  { name: 'double quote', pieces: ['say"hi"now'] },
  { name: 'backslash', pieces: ['CORP\\nick'] },
  { name: 'equals sign', pieces: ['a=b&c=d'] },
  { name: 'pipe', pieces: ['a|b'] },
  { name: 'tab', pieces: ['a\tb'] },
  { name: 'U+2028', pieces: ['a\u2028b'] },
  { name: 'valid non-ASCII', pieces: ['Société-Москва-東京-😀'] },
];

/** Whole-event sizes, in bytes. */
export const EVENT_SIZES: Array<{ name: string; bytes: number }> = [
  { name: '7.9 KiB', bytes: Math.round(7.9 * 1024) },
  { name: '8.1 KiB', bytes: Math.round(8.1 * 1024) },
  { name: '16 KiB', bytes: 16 * 1024 },
  { name: '60 KiB', bytes: 60 * 1024 },
];

/** Where a hostile value goes: the URL or user name field, or the value of a context pair. */
export type Slot = 'url' | 'user' | 'context';

export interface HostileEvent {
  /** `<slot>: <value name>` or `size: <name>`. */
  name: string;
  slot: Slot;
  line: Buffer;
  /** The value as sent, with its invalid bytes as they are. */
  value: Piece[];
}

const TOKEN = (n: number) => `\u0001${n}\u0001`;

/** The text with each Buffer piece replaced the way `replace` turns invalid bytes into text. */
export function expectedText(pieces: Piece[], replace: (b: Buffer) => string): string {
  return pieces.map((p) => (typeof p === 'string' ? p : replace(p))).join('');
}

/** A value written into a line: tokens in the rendered text become the raw bytes. */
function toBytes(text: string, values: Piece[][]): Buffer {
  const parts: Buffer[] = [];
  let rest = text;
  for (;;) {
    const m = /\u0001(\d+)\u0001/.exec(rest);
    if (!m) break;
    parts.push(Buffer.from(rest.slice(0, m.index), 'utf8'));
    for (const p of values[Number(m[1])]) parts.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
    rest = rest.slice(m.index + m[0].length);
  }
  parts.push(Buffer.from(rest, 'utf8'));
  return Buffer.concat(parts);
}

/** Plain values per placeholder kind, distinct per placeholder, that every connector's regexps accept. */
export function plainValues(c: Connector, site: Site): Record<string, string> {
  const settings = c.cybertrace(site);
  const values: Record<string, string> = {
    Category: 'KL_Malicious_URL',
    MatchedIndicator: 'fakess123.nu',
    Confidence: '100',
    Date: 'Apr 16 09:05:41',
    Id: '1001',
  };
  settings.input.regexps.forEach((r, i) => {
    if (r.type === 'URL') values[r.name] = `fakess123.nu/p${i}`;
    else if (r.type === 'IP') values[r.name] = `10.0.0.${i + 1}`;
    else if (r.type === 'HASH') values[r.name] = (i.toString(16) + 'A').repeat(64).slice(0, r.name.includes('256') ? 64 : r.name.includes('SHA1') ? 40 : 32);
    else values[r.name] = /ip/i.test(r.name) ? `10.1.0.${i + 1}` : `${r.name.toLowerCase()}${i}`;
  });
  return values;
}

/** Which placeholder fills the URL and user fields, found by reading a plain event back with the connector's parser. */
export function slotPlaceholders(c: Connector, site: Site): Partial<Record<'url' | 'user', string>> {
  const settings = c.cybertrace(site);
  const values = plainValues(c, site);
  const line = renderCyberTraceFormat(settings.output.eventFormat, settings, { values, context: [['first_seen', '10.07.2015 23:53']] });
  const parsed = c.wire.parseEvent(c.wire.asReceived ? c.wire.asReceived(line, site) : line, site);
  const out: Partial<Record<'url' | 'user', string>> = {};
  for (const role of ['url', 'user'] as const) {
    const got = parsed.fields[role as FieldRole];
    const ph = placeholdersOf(settings.output.eventFormat).find((p) => values[p] !== undefined && values[p] === got);
    if (ph) out[role] = ph;
  }
  return out;
}

/** Every hostile event for one connector: each value in each slot it has, then the sizes (a long context value). */
export function hostileEvents(c: Connector, site: Site): HostileEvent[] {
  const settings = c.cybertrace(site);
  const base = plainValues(c, site);
  const slots = slotPlaceholders(c, site);
  const render = (slot: Slot, value: Piece[]): Buffer => {
    const values = { ...base };
    const context: Array<[string, string]> = [['first_seen', '10.07.2015 23:53']];
    if (slot === 'context') context.push(['note', TOKEN(0)]);
    else values[slots[slot]!] = TOKEN(0);
    context.push(['popularity', '1']);
    return toBytes(renderCyberTraceFormat(settings.output.eventFormat, settings, { values, context }), [value]);
  };
  const out: HostileEvent[] = [];
  for (const slot of ['url', 'user', 'context'] as const) {
    if (slot !== 'context' && !slots[slot]) continue;
    for (const v of [...INVALID_BYTES, ...SPECIAL_CHARACTERS]) out.push({ name: `${slot}: ${v.name}`, slot, line: render(slot, v.pieces), value: v.pieces });
  }
  for (const size of EVENT_SIZES) {
    const overhead = render('context', ['']).length;
    const value = ['x'.repeat(size.bytes - overhead)];
    const line = render('context', value);
    if (line.length !== size.bytes) throw new Error(`the ${size.name} event is ${line.length} bytes`);
    out.push({ name: `size: ${size.name}`, slot: 'context', line, value });
  }
  return out;
}
