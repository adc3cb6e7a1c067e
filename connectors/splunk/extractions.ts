/**
 * Splunk's side of the event definitions: the search-time extractions (transforms.conf REGEX /
 * FORMAT) built from the detection and alert contracts, and the same regexes applied in
 * TypeScript (wire.parseEvent) and by the lookup script (bin/config.json). The regexes keep to
 * the subset PCRE, Python `re` and JavaScript read alike.
 */
import type { EventContract, FieldRole, ParsedEvent } from '../../src/connector/index.js';
import { alertEvent, CONTEXT_KEY_PREFIX, detectionEvent } from './contract.js';
import { escapeRegExp } from '../../src/kernel/text.js';
import { ReadError } from '../../src/kernel/errors.js';

export interface FieldExtraction {
  /** transforms.conf stanza. */
  transform: string;
  /** Splunk field name (the key in the event). */
  field: string;
  role: FieldRole;
  /** Group 1 is the value; a `-` (CyberTrace's "nothing found") leaves group 1 unset, so no field is made. */
  regex: string;
}

function fieldExtractions(c: EventContract): FieldExtraction[] {
  const out: FieldExtraction[] = [];
  for (const p of c.parts) {
    if (p.kind !== 'field') continue;
    // The first occurrence is the event's own key: the parts come before the context, whose keys carry a prefix.
    // A value ends at a space or tab only: `\S` would also stop at U+2028 in Python and JavaScript.
    out.push({
      transform: `kl_cybertrace_${p.key}`,
      field: p.key,
      role: p.role,
      regex: `(?:^|\\s)${escapeRegExp(p.key)}${escapeRegExp(c.keySeparator)}(?:-(?=[ \\t]|$)|([^ \\t\\r\\n]+))`,
    });
  }
  return out;
}

export const DETECTION_EXTRACTIONS = fieldExtractions(detectionEvent);
export const ALERT_EXTRACTIONS = fieldExtractions(alertEvent);
export const ALL_EXTRACTIONS = [...DETECTION_EXTRACTIONS, ...ALERT_EXTRACTIONS];

/**
 * Context pairs ` ctx_name="value"` (RecordFieldContextFormat): group 1 = the field name with its
 * prefix, group 2 = value. The prefix is inside the group because search-time FORMAT cannot
 * concatenate (transforms.conf.spec: `ctx_$1::$2` is not allowed), while `$1::$2` is.
 * CyberTrace writes a `"` inside a value as it is, or perhaps as `\"` (undocumented), so a value
 * ends only at a `"` followed by the next pair or the end of the event: either way it comes out
 * whole (an escaped quote keeps its backslash). `[\s\S]` rather than `.`, which stops at U+2028 in
 * JavaScript.
 */
export const CONTEXT_TRANSFORM = 'kl_cybertrace_context';
const CONTEXT_NAME = `${CONTEXT_KEY_PREFIX}[A-Za-z0-9_.-]+`;
export const CONTEXT_REGEX = `\\s(${CONTEXT_NAME})="([\\s\\S]*?)"(?=\\s+${CONTEXT_NAME}="|\\s*$)`;
export const CONTEXT_FORMAT = '$1::$2';

/** Applies the extractions the way Splunk does (first match of each REGEX, every match of the context REGEX). */
export function applyExtractions(line: string): {
  fields: Record<string, string>;
  roles: Partial<Record<FieldRole, string>>;
  context: Array<[string, string]>;
} {
  const fields: Record<string, string> = {};
  const roles: Partial<Record<FieldRole, string>> = {};
  for (const x of ALL_EXTRACTIONS) {
    const m = new RegExp(x.regex).exec(line);
    if (m && m[1] !== undefined) {
      fields[x.field] = m[1];
      roles[x.role] = m[1];
    }
  }
  const context: Array<[string, string]> = [];
  for (const m of line.matchAll(new RegExp(CONTEXT_REGEX, 'g'))) context.push([m[1].slice(CONTEXT_KEY_PREFIX.length), m[2]]);
  return { fields, roles, context };
}

/** True when the line carries the key of a contract's first part (category= / alert=), even with value "-". */
function hasKey(line: string, c: EventContract): boolean {
  const first = c.parts[0];
  if (first.kind !== 'field') return false;
  return new RegExp(`(?:^|\\s)${escapeRegExp(first.key)}${escapeRegExp(c.keySeparator)}\\S`).test(line);
}

export function parseSplunkEvent(line: string): ParsedEvent {
  const kind = hasKey(line, detectionEvent) ? 'detection' : hasKey(line, alertEvent) ? 'alert' : undefined;
  if (!kind) throw new ReadError(`not a CyberTrace event: neither "category=" nor "alert=" found in ${JSON.stringify(line.slice(0, 200))}`);
  const { roles, context } = applyExtractions(line);
  const fields = { ...roles };
  if (kind === 'detection') delete fields.alert;
  else for (const r of Object.keys(fields)) if (r !== 'alert') delete fields[r as FieldRole];
  const date = /^([A-Z][a-z]{2} [ 0-9]?\d \d\d:\d\d:\d\d) /.exec(line);
  if (date) fields.date = date[1];
  return { kind, fields, context };
}
