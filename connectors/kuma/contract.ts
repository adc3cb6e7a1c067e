/**
 * KUMA event definitions (the Kaspersky CyberTrace–KUMA integration guide). KUMA asks CyberTrace about one indicator at a time and
 * stores the answer in the event's TI field. The answer is a `key=value` list separated by `|`;
 * the EventFormat / AlertFormat strings, the record-context format and the parser in parse.ts
 * are all built from the two contracts below.
 */
import type { EventContract, EventDefinitions, RegExpDef } from '../../src/connector/index.js';

const PART_SEPARATOR = '|';
const KEY_SEPARATOR = '=';

/** `Category=%Category%|MatchedIndicator=%MatchedIndicator%%RecordContext%` */
export const detectionEvent: EventContract = {
  prefix: '',
  keySeparator: KEY_SEPARATOR,
  partSeparator: PART_SEPARATOR,
  parts: [
    { kind: 'field', key: 'Category', placeholder: 'Category', role: 'category' },
    { kind: 'field', key: 'MatchedIndicator', placeholder: 'MatchedIndicator', role: 'indicator' },
  ],
  // Each context pair brings its own leading `|` (RECORD_FIELD_CONTEXT_FORMAT), so no separator here.
  suffixFields: [{ placeholder: 'RecordContext', role: 'context' }],
};

/** `%Date% alert=%Alert%%RecordContext%`; the context pairs use the same `|k=v` format. */
export const alertEvent: EventContract = {
  prefix: '%Date% ',
  prefixFields: [{ placeholder: 'Date', role: 'date' }],
  keySeparator: KEY_SEPARATOR,
  partSeparator: PART_SEPARATOR,
  parts: [{ kind: 'field', key: 'alert', placeholder: 'Alert', role: 'alert' }],
  suffixFields: [{ placeholder: 'RecordContext', role: 'context' }],
};

/** One record-context pair is one more part of the event: `|name=value`. */
export const RECORD_FIELD_CONTEXT_FORMAT = `${PART_SEPARATOR}%ParamName%${KEY_SEPARATOR}%ParamValue%`;
/** As in the Kaspersky CyberTrace–KUMA integration guide. The formats above do not use %ActionableFields%, so this only matters if you add it. */
export const ACTIONABLE_FIELD_CONTEXT_FORMAT = '%ParamName%:%ParamValue%';

/**
 * The CyberTrace default regexps of `Source id="default"` (the Log Scanner ones). the Kaspersky CyberTrace–KUMA integration guide says
 * to leave everything but the listed settings at the defaults, so KUMA's requests must be read
 * by these: KUMA sends `ip=…`, `url=…` and `md5=…` / `sha1=…` / `sha256=…` lines (see wire.ts).
 */
export const REGEXPS: RegExpDef[] = [
  { name: 'RE_MD5', type: 'HASH', extract: 'all', pattern: 'md5=(.*?)(?:$|\\s)', purpose: 'MD5 hashes KUMA sends as md5=…' },
  { name: 'RE_SHA1', type: 'HASH', extract: 'all', pattern: 'sha1=(.*?)(?:$|\\s)', purpose: 'SHA1 hashes KUMA sends as sha1=…' },
  { name: 'RE_SHA256', type: 'HASH', extract: 'all', pattern: 'sha256=(.*?)(?:$|\\s)', purpose: 'SHA256 hashes KUMA sends as sha256=…' },
  { name: 'RE_URL', type: 'URL', extract: 'all', pattern: 'url=(.*?)(?:$|\\s)', purpose: 'URLs KUMA sends as url=…' },
  { name: 'RE_IP', type: 'IP', extract: 'all', pattern: 'ip=(.*?)(?:$|\\s)', purpose: 'IP addresses KUMA sends as ip=…' },
];

/** Where KUMA's requests come in: every interface, as the Kaspersky CyberTrace–KUMA integration guide says. */
export const LISTEN_ADDRESS = '0.0.0.0';
/**
 * KUMA reads answers on its own connection (ReplyBack), so OutputSettings > ConnectionString only
 * receives what is not a reply (service alerts); the Kaspersky CyberTrace–KUMA integration guide points it at the CyberTrace host itself.
 */
export const OUTPUT_ADDRESS = '127.0.0.1';

/** This connector's event definitions in one place: its CyberTrace settings and its SIEM-side parser both come from these. */
export const EVENTS: EventDefinitions = {
  detection: detectionEvent,
  alert: alertEvent,
  recordFieldContextFormat: RECORD_FIELD_CONTEXT_FORMAT,
  actionableFieldContextFormat: ACTIONABLE_FIELD_CONTEXT_FORMAT,
  regexps: REGEXPS,
};
