/**
 * FortiSIEM event definitions (the Kaspersky CyberTrace–FortiSIEM integration guide). CyberTrace sends CEF to FortiSIEM; both the
 * EventFormat / AlertFormat strings and the CEF key map used to read events back come from
 * the lists below.
 */
import {
  CEF_ACTIONABLE_FIELD_CONTEXT_FORMAT,
  CEF_DETECTION,
  CEF_RECORD_FIELD_CONTEXT_FORMAT,
  cefKeysOf,
  cefPrefix,
  cefServiceEvent,
  type CefHeader,
  type EventContract,
  type EventDefinitions,
  HASHES_AS_RE_HASH,
  type RegExpDef,
} from '../../src/connector/index.js';

/** CEF header fields of events CyberTrace sends; FortiSIEM shows vendor/product as Reporting Vendor / Reporting Model. */
export const CEF_HEADER: CefHeader = { vendor: 'Kaspersky', product: 'CyberTrace', version: '3.1' };

export const detectionEvent: EventContract = {
  prefix: cefPrefix(CEF_HEADER, CEF_DETECTION),
  keySeparator: '=',
  partSeparator: ' ',
  parts: [
    { kind: 'field', key: 'reason', placeholder: 'Category', role: 'category' },
    { kind: 'field', key: 'dst', placeholder: 'RE_IP', role: 'dst_ip' },
    { kind: 'field', key: 'src', placeholder: 'SRC_IP', role: 'src_ip' },
    { kind: 'field', key: 'dvc', placeholder: 'DeviceIp', role: 'device_ip' },
    { kind: 'field', key: 'fileHash', placeholder: 'RE_HASH', role: 'hash' },
    { kind: 'field', key: 'request', placeholder: 'RE_URL', role: 'url' },
    { kind: 'field', key: 'sourceServiceName', placeholder: 'Device', role: 'device' },
    { kind: 'field', key: 'sproc', placeholder: 'Product', role: 'product' },
    { kind: 'field', key: 'suser', placeholder: 'UserName', role: 'user' },
    { kind: 'field', key: 'externalId', placeholder: 'Id', role: 'event_id' },
    { kind: 'bare', placeholder: 'ActionableFields', role: 'actionable' },
    { kind: 'constant', key: 'cs5Label', value: 'MatchedIndicator' },
    { kind: 'field', key: 'cs5', placeholder: 'MatchedIndicator', role: 'indicator' },
    // Last, because the record context holds spaces and CEF values run to the next key.
    { kind: 'field', key: 'msg', placeholder: 'RecordContext', role: 'context' },
  ],
};

export const alertEvent: EventContract = cefServiceEvent(CEF_HEADER);

/** The event delimiter of the Kaspersky CyberTrace–FortiSIEM integration guide: a new event starts at a syslog `<PRI>` not preceded by `=`. */
export const EVENT_DELIMITER = '[^\\=](\\<\\d+\\>)';

const IPV4 = '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}';

/** The regexps of the Kaspersky CyberTrace–FortiSIEM integration guide, exactly as published (PDF line breaks and spaces removed). */
export const REGEXPS: RegExpDef[] = [
  { name: 'RE_HASH', type: 'HASH', extract: 'all', pattern: '([\\da-fA-F]{32,64})', purpose: 'MD5, SHA1 and SHA256 hashes anywhere in the event' },
  { name: 'RE_IP', type: 'IP', extract: 'first', pattern: `dst\\=(${IPV4})(?:$|\\s)`, purpose: 'destination IP (CEF dst)' },
  { name: 'SRC_IP', type: 'IP', extract: 'first', pattern: `src\\=(${IPV4})(?:$|\\s)`, purpose: 'source IP (CEF src)' },
  {
    name: 'RE_URL',
    type: 'URL',
    extract: 'all',
    pattern:
      '(?:\\:\\/\\/)((?:\\S+(?::\\S*)?+@)?(?:(?:(?:[a-z\\x{00a1}-\\x{ffff}0-9]+-*)*[a-z\\x{00a1}-\\x{ffff}0-9]*)(?:\\.(?:[a-z\\x{00a1}-\\x{ffff}0-9]+-)*+[a-z\\x{00a1}-\\x{ffff}0-9]++)*(?:\\.(?:[a-z\\x{00a1}-\\x{ffff}\\-0-9]{2,}+)))(?:\\.*:\\d{2,5})?+(?:\\.*\\/[^\\s\\"\\<\\>]*+)?+)',
    purpose: 'URLs with a scheme (host, optional port and path)',
  },
  {
    name: 'Device',
    type: 'CONTEXT',
    extract: 'first',
    pattern: '[^\\|]*\\|[^\\|]*\\|([^\\|]*)\\|',
    purpose: 'CEF header field 3 (device product) of the forwarded event',
  },
  {
    name: 'Product',
    type: 'CONTEXT',
    extract: 'first',
    pattern: '[^\\|]*\\|[^\\|]*\\|([^\\|]*)\\|',
    purpose: 'CEF header field 3 (device product) of the forwarded event; the vendor document gives the same regexp as Device',
  },
  { name: 'Id', type: 'CONTEXT', extract: 'first', pattern: 'eventId\\=(\\d+)(?:$|\\s)', purpose: 'event id (CEF eventId)' },
  { name: 'DeviceIp', type: 'CONTEXT', extract: 'first', pattern: `dvc\\=(${IPV4})(?:$|\\s)`, purpose: 'reporting device IP (CEF dvc)' },
  { name: 'UserName', type: 'CONTEXT', extract: 'first', pattern: 'suser\\=(.*?)(?:$|\\s)', purpose: 'source user (CEF suser)' },
];

/** Feeds match hashes through one regexp here, so every hash field of the feeds points at RE_HASH. */
export const FEED_FIELD_RENAMES = HASHES_AS_RE_HASH;

/** CEF keys the detection event already uses: an actionable field must not reuse them. */
export function usedCefKeys(): string[] {
  return cefKeysOf(detectionEvent);
}

/** This connector's event definitions in one place: its CyberTrace settings and its SIEM-side parser both come from these. */
export const EVENTS: EventDefinitions = {
  detection: detectionEvent,
  alert: alertEvent,
  recordFieldContextFormat: CEF_RECORD_FIELD_CONTEXT_FORMAT,
  actionableFieldContextFormat: CEF_ACTIONABLE_FIELD_CONTEXT_FORMAT,
  regexps: REGEXPS,
  eventDelimiter: EVENT_DELIMITER,
  feedFieldRenames: FEED_FIELD_RENAMES,
};
