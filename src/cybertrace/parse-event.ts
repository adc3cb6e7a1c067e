/**
 * The generic reader of an event written by a CyberTrace format string: an optional prefix
 * (`%Date% ` and the like), then `key=value` parts separated by a part separator. Built from the
 * same EventContract as the format string, so a change to one is a change to both. A connector
 * uses it unless its SIEM reads events differently (CEF: src/formats/cef.ts).
 *
 * Such formats have no escapes, so some values cannot come back unchanged. The rules here are
 * fixed and tested (test/kuma/roundtrip.test.ts):
 * - a part is split at its FIRST key separator: values may contain `=` (URLs with queries do), names may not;
 * - a part without it continues the previous value, joined with the part separator: `a|b` inside a value survives;
 * - a part with it always starts a new pair: a value `x|y=z` comes back as value `x` plus a pair `y`=`z`;
 * - a line break ends the event (CyberTrace separates events with LF), so values are single-line;
 * - `-` (what CyberTrace writes for an empty placeholder) reads as "missing" for fields, not for context.
 */
import type { ParsedEvent } from '../model/events.js';
import { escapeRegExp } from '../kernel/text.js';
import type { EventContract } from './event-contract.js';
import type { FieldRole } from '../model/events.js';
import { parseCef } from '../formats/cef.js';
import { readCefStrict } from '../formats/cef-strict.js';
import { ReadError } from '../kernel/errors.js';

/** What each prefix placeholder looks like; `%Date%` is `Mon DD HH:MM:SS` (Kaspersky CyberTrace Help). */
const PREFIX_PATTERNS: Partial<Record<FieldRole, string>> = {
  date: '[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d',
};

const MISSING = '-';

/** The prefix as a regexp with one capture group per prefix placeholder, in order. */
function prefixRegExp(c: EventContract): RegExp {
  let source = '^';
  let rest = c.prefix;
  for (const m of c.prefix.matchAll(/%([A-Za-z0-9_]+)%/g)) {
    const at = rest.indexOf(m[0]);
    source += escapeRegExp(rest.slice(0, at));
    const role = c.prefixFields?.find((f) => f.placeholder === m[1])?.role;
    source += `(${(role && PREFIX_PATTERNS[role]) ?? '.*?'})`;
    rest = rest.slice(at + m[0].length);
  }
  return new RegExp(source + escapeRegExp(rest));
}

/** Splits `k=v|k=v|…` into pairs by the rules in the header comment. */
export function splitPairs(text: string, c: EventContract): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const segment of text.split(c.partSeparator)) {
    const at = segment.indexOf(c.keySeparator);
    if (at < 0) {
      if (pairs.length === 0) throw new ReadError(`"${segment}" has no "${c.keySeparator}": expected name${c.keySeparator}value`);
      pairs[pairs.length - 1][1] += c.partSeparator + segment;
      continue;
    }
    pairs.push([segment.slice(0, at), segment.slice(at + c.keySeparator.length)]);
  }
  return pairs;
}

/** Parses one line with one contract; returns undefined when the line does not start like that contract. */
export function parseWithContract(line: string, c: EventContract, kind: ParsedEvent['kind']): ParsedEvent | undefined {
  if (/[\r\n]/.test(line)) throw new ReadError('an event is one line: CyberTrace separates events with LF');
  const prefix = prefixRegExp(c).exec(line);
  if (!prefix) return undefined;
  const fields: Partial<Record<FieldRole, string>> = {};
  (c.prefixFields ?? []).forEach((f, i) => {
    fields[f.role] = prefix[i + 1];
  });
  const body = line.slice(prefix[0].length);
  const first = c.parts[0];
  if (!first || first.kind === 'bare' || !body.startsWith(first.key + c.keySeparator)) return undefined;

  const pairs = splitPairs(body, c);
  const hasContext = (c.suffixFields ?? []).some((f) => f.role === 'context');
  c.parts.forEach((p, i) => {
    if (p.kind === 'bare') throw new ReadError(`a bare %${p.placeholder}% part cannot be read back from a "${c.partSeparator}" list`);
    const pair = pairs[i];
    if (!pair || pair[0] !== p.key)
      throw new ReadError(`part ${i + 1} should be "${p.key}${c.keySeparator}…", got ${pair ? `"${pair[0]}${c.keySeparator}…"` : 'the end of the event'}`);
    if (p.kind === 'constant' && pair[1] !== p.value) throw new ReadError(`"${p.key}" should be "${p.value}", got "${pair[1]}"`);
    if (p.kind === 'field' && pair[1] !== MISSING) fields[p.role] = pair[1];
  });
  const extra = pairs.slice(c.parts.length);
  if (extra.length > 0 && !hasContext) throw new ReadError(`unexpected parts after the last field: ${extra.map((e) => e[0]).join(', ')}`);
  return { kind, fields, context: extra };
}

/** How a CEF-reading SIEM gets CyberTrace's events: the two contracts (their prefixes are the CEF headers) and the record-context reader. */
export interface CefEvents {
  /** For messages: the SIEM that filters on vendor/product. */
  siem: string;
  detection: EventContract;
  alert: EventContract;
  context: (text: string) => Array<[string, string]>;
}

/** The CEF headers of a connector's two contracts, read once (simulate and verify parse many events). */
const headers = new WeakMap<CefEvents, { detection: ReturnType<typeof parseCef>; alert: ReturnType<typeof parseCef> }>();
function headersOf(e: CefEvents): { detection: ReturnType<typeof parseCef>; alert: ReturnType<typeof parseCef> } {
  let h = headers.get(e);
  if (!h) headers.set(e, (h = { detection: parseCef(e.detection.prefix), alert: parseCef(e.alert.prefix) }));
  return h;
}

/**
 * Reads a CEF event CyberTrace sent, the way a CEF-reading SIEM does: vendor, product and event
 * class id from the header tell the event apart (compared with the contracts' own headers), then
 * each field of the contract is read by its key.
 */
export function parseCefWithContract(line: string, e: CefEvents): ParsedEvent {
  const ev = parseCef(line);
  const { detection, alert } = headersOf(e);
  if (ev.deviceVendor !== detection.deviceVendor || ev.deviceProduct !== detection.deviceProduct) {
    throw new ReadError(
      `not a CyberTrace event: CEF vendor/product is "${ev.deviceVendor}/${ev.deviceProduct}", ${e.siem} filters on ${detection.deviceVendor}/${detection.deviceProduct}`,
    );
  }
  const kind = ev.deviceEventClassId === detection.deviceEventClassId ? 'detection' : ev.deviceEventClassId === alert.deviceEventClassId ? 'alert' : undefined;
  if (!kind) {
    throw new ReadError(
      `unknown CyberTrace event class id "${ev.deviceEventClassId}" (expected ${alert.deviceEventClassId} = service event, ${detection.deviceEventClassId} = detection event)`,
    );
  }
  const fields: Partial<Record<FieldRole, string>> = {};
  let context: Array<[string, string]> = [];
  for (const p of e[kind].parts) {
    if (p.kind !== 'field') continue;
    const v = ev.extension[p.key];
    if (v === undefined) throw new ReadError(`CEF key "${p.key}" (${p.role}) is missing`);
    if (p.role === 'context') context = e.context(v);
    else if (v !== MISSING) fields[p.role] = v;
  }
  return { kind, fields, context };
}

/**
 * The fields of a CyberTrace CEF event that a reader following the CEF escaping rules does not
 * read as this (lenient) reader does — CyberTrace does not escape values, so an `=` in a URL's
 * query, a `\` in a user name or ` key=` inside the context changes what such a SIEM shows.
 * One message per field; empty when both readers agree.
 */
export function strictCefMisreads(line: string, e: CefEvents): string[] {
  const lenient = parseCef(line).extension;
  const strict = readCefStrict(line);
  const kind = parseCefWithContract(line, e).kind;
  const out: string[] = [];
  for (const p of e[kind].parts) {
    if (p.kind !== 'field') continue;
    const want = lenient[p.key];
    const got = strict.extension.get(p.key);
    const why = strict.problems.filter((x) => x.key === p.key).map((x) => x.message);
    if (got === want && why.length === 0) continue;
    const reasons = why.length > 0 ? ` (${[...new Set(why)].join('; ')})` : '';
    if (got === want) out.push(`${p.key} (${p.role}): breaks the CEF escaping rules${reasons}; only a lenient reader is sure to show ${JSON.stringify(want)}`);
    else
      out.push(
        `${p.key} (${p.role}): a CEF reader that follows the specification's escaping ${got === undefined ? 'does not find it' : `reads ${JSON.stringify(got)}`}${reasons}; only a lenient reader gets ${JSON.stringify(want)}`,
      );
  }
  return out;
}
