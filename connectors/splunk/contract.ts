/**
 * Splunk event definitions (the Kaspersky CyberTrace–Splunk integration guide). Everything that must agree is derived from the lists
 * below: the CyberTrace EventFormat / AlertFormat, the Splunk search-time extractions
 * (transforms.conf REGEX/FORMAT), the regexps the lookup script reads replies with, the lookup
 * script's request pattern (bin/config.json) and the CyberTrace input regexps that read it.
 */
import { type EventContract, type EventDefinitions, type FieldRole, type Indicator, type RegExpDef, REPLY_BACK_HEADER } from '../../src/connector/index.js';
import { InternalError } from '../../src/kernel/errors.js';

/** Context pairs: a prefix keeps feed field names (e.g. a context field "category") apart from the event's own keys. */
export const CONTEXT_KEY_PREFIX = 'ctx_';
/** Leading space: the pairs follow the last part directly (EventContract.suffixFields). Values are quoted because they hold spaces. */
export const RECORD_FIELD_CONTEXT_FORMAT = ` ${CONTEXT_KEY_PREFIX}%ParamName%="%ParamValue%"`;
export const ACTIONABLE_FIELD_CONTEXT_FORMAT = ` ${CONTEXT_KEY_PREFIX}%ParamName%="%ParamValue%"`;

/** `%Date%` is `Mon DD HH:MM:SS`; Splunk takes the event time from it (props.conf TIME_FORMAT). */
const datePrefix = { prefix: '%Date% ', prefixFields: [{ placeholder: 'Date', role: 'date' as FieldRole }] };

export const detectionEvent: EventContract = {
  ...datePrefix,
  keySeparator: '=',
  partSeparator: ' ',
  parts: [
    { kind: 'field', key: 'category', placeholder: 'Category', role: 'category' },
    { kind: 'field', key: 'matchedIndicator', placeholder: 'MatchedIndicator', role: 'indicator' },
    { kind: 'field', key: 'url', placeholder: 'RE_URL', role: 'url' },
    { kind: 'field', key: 'src', placeholder: 'SRC_IP', role: 'src_ip' },
    { kind: 'field', key: 'ip', placeholder: 'RE_IP', role: 'dst_ip' },
    { kind: 'field', key: 'md5', placeholder: 'RE_MD5', role: 'md5' },
    { kind: 'field', key: 'sha1', placeholder: 'RE_SHA1', role: 'sha1' },
    { kind: 'field', key: 'sha256', placeholder: 'RE_SHA256', role: 'sha256' },
    { kind: 'field', key: 'usrName', placeholder: 'RE_USERNAME', role: 'user' },
  ],
  suffixFields: [{ placeholder: 'RecordContext', role: 'context' }],
};

export const alertEvent: EventContract = {
  ...datePrefix,
  keySeparator: '=',
  partSeparator: ' ',
  parts: [{ kind: 'field', key: 'alert', placeholder: 'Alert', role: 'alert' }],
  suffixFields: [{ placeholder: 'RecordContext', role: 'context' }],
};

/** Splunk `strptime` format of %Date% and how far into the event it reaches. */
export const TIME_FORMAT = '%b %d %H:%M:%S';
export const TIME_LOOKAHEAD = 15;

/**
 * What CyberTrace must find in the events the app forwards (and in the lookup script's requests).
 * `lookupKey` is the key the lookup script writes; `keys` are every key the input regexp accepts,
 * so key=value events of devices that use another common name are matched too.
 */
export interface InputField {
  regexp: string;
  type: RegExpDef['type'];
  extract: RegExpDef['extract'];
  /** Indicator type the lookup script sends with this key (absent: context only, never sent). */
  indicator?: Indicator['type'];
  lookupKey: string;
  keys: string[];
  /** The value, without key (PCRE and Python `re` compatible). */
  value: string;
  /** Text before the captured value that is not part of it (e.g. a URL scheme: feed masks have none). */
  skip?: string;
  purpose: string;
}

const IPV4 = '\\d{1,3}(?:\\.\\d{1,3}){3}';

export const INPUT_FIELDS: InputField[] = [
  {
    regexp: 'RE_IP',
    type: 'IP',
    extract: 'all',
    indicator: 'ip',
    lookupKey: 'ip',
    keys: ['ip', 'dst', 'dst_ip', 'dest', 'dest_ip'],
    value: IPV4,
    purpose: 'destination IPv4 address (key ip, dst, dst_ip, dest or dest_ip)',
  },
  {
    regexp: 'RE_MD5',
    type: 'HASH',
    extract: 'all',
    indicator: 'md5',
    lookupKey: 'md5',
    keys: ['md5', 'fileHash'],
    value: '[0-9a-fA-F]{32}',
    purpose: 'MD5 hash (key md5, or CEF fileHash as KATA sends it)',
  },
  {
    regexp: 'RE_SHA1',
    type: 'HASH',
    extract: 'all',
    indicator: 'sha1',
    lookupKey: 'sha1',
    keys: ['sha1', 'fileHash'],
    value: '[0-9a-fA-F]{40}',
    purpose: 'SHA1 hash (key sha1, or CEF fileHash)',
  },
  {
    regexp: 'RE_SHA256',
    type: 'HASH',
    extract: 'all',
    indicator: 'sha256',
    lookupKey: 'sha256',
    keys: ['sha256', 'fileHash'],
    value: '[0-9a-fA-F]{64}',
    purpose: 'SHA256 hash (key sha256, or CEF fileHash)',
  },
  {
    regexp: 'RE_URL',
    type: 'URL',
    extract: 'all',
    indicator: 'url',
    lookupKey: 'url',
    keys: ['url', 'uri', 'request'],
    value: '[^\\s"<>]+',
    skip: '(?:[A-Za-z][A-Za-z0-9+.-]*://)?',
    purpose: 'URL with or without a scheme (key url, uri or request); the scheme is left out because feed masks have none',
  },
  {
    regexp: 'SRC_IP',
    type: 'IP',
    extract: 'first',
    lookupKey: 'src',
    keys: ['src', 'src_ip', 'source_ip'],
    value: IPV4,
    purpose: 'source IPv4 address (key src, src_ip or source_ip), shown in the detection event',
  },
  {
    regexp: 'RE_USERNAME',
    type: 'CONTEXT',
    extract: 'first',
    lookupKey: 'usrName',
    keys: ['usrName', 'user', 'suser'],
    value: '[^\\s"]+',
    purpose: 'user name (key usrName, user or suser), shown in the detection event',
  },
];

/** `key=value` at the start of the event or after whitespace, ending at whitespace or the end. */
export function inputRegexp(f: InputField): string {
  const keys = f.keys.length === 1 ? f.keys[0] : `(?:${f.keys.join('|')})`;
  return `(?:^|\\s)${keys}=${f.skip ?? ''}(${f.value})(?=\\s|$)`;
}

export const REGEXPS: RegExpDef[] = INPUT_FIELDS.map((f) => ({
  name: f.regexp,
  type: f.type,
  extract: f.extract,
  pattern: inputRegexp(f),
  purpose: f.purpose,
}));

/** The lookup script's request pattern: one `key=%TYPE%` part per indicator type, in bin/config.json. */
export const LOOKUP_PATTERN = INPUT_FIELDS.filter((f) => f.indicator)
  .map((f) => `${f.lookupKey}=%${f.indicator!.toUpperCase()}%`)
  .join(' ');

/** One request line of the lookup script (what bin/kl_search.py sends, before its LF). */
export function lookupRequest(indicator: Indicator): string {
  const f = INPUT_FIELDS.find((x) => x.indicator === indicator.type);
  if (!f) throw new InternalError(`no lookup key for indicator type ${indicator.type}`);
  return `${f.lookupKey}=${indicator.value} `;
}

/**
 * Text of the finished event CyberTrace sends after each lookup. The service's default text is not
 * documented, so the bundle pins it in FinishedEventFormat and the lookup script waits for a line
 * starting with this same text (bin/config.json).
 */
export const FINISHED_EVENT_TEXT = 'CyberTraceLookupFinished';

/** The mode header the lookup script sends, directly followed by its first request line (as the vendor's script does). */
export const MODE_HEADER = REPLY_BACK_HEADER;

/** This connector's event definitions in one place: its CyberTrace settings and its SIEM-side parser both come from these. */
export const EVENTS: EventDefinitions = {
  detection: detectionEvent,
  alert: alertEvent,
  recordFieldContextFormat: RECORD_FIELD_CONTEXT_FORMAT,
  actionableFieldContextFormat: ACTIONABLE_FIELD_CONTEXT_FORMAT,
  regexps: REGEXPS,
  finishedEventText: FINISHED_EVENT_TEXT,
};
