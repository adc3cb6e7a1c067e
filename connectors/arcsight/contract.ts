/**
 * ArcSight event definitions (CyberTrace help, "Integration with ArcSight", page 174019). An
 * ArcSight Forwarding Connector sends ESM events to CyberTrace as CEF; CyberTrace sends its
 * detection and service events as CEF to an ArcSight SmartConnector (Syslog Daemon). The
 * EventFormat / AlertFormat strings and the CEF key map used to read events back both come from
 * the lists below.
 */
import {
  CEF_ACTIONABLE_FIELD_CONTEXT_FORMAT,
  CEF_DETECTION,
  CEF_RECORD_FIELD_CONTEXT_FORMAT,
  cefPrefix,
  cefServiceEvent,
  type CefHeader,
  type EventContract,
  type EventDefinitions,
  HASHES_AS_RE_HASH,
  type RegExpDef,
} from '../../src/connector/index.js';

/** CEF header of CyberTrace's events as the vendor's formats write it; ESM shows these as Device Vendor / Device Product. */
// The vendor's formats have a space after the last header bar; kept as published.
export const CEF_HEADER: CefHeader = { vendor: 'Kaspersky', product: 'Kaspersky CyberTrace for ArcSight', version: '2.0', after: ' ' };

export const detectionEvent: EventContract = {
  prefix: cefPrefix(CEF_HEADER, CEF_DETECTION),
  keySeparator: '=',
  partSeparator: ' ',
  parts: [
    { kind: 'field', key: 'reason', placeholder: 'Category', role: 'category' },
    { kind: 'field', key: 'dst', placeholder: 'DST_IP', role: 'dst_ip' },
    // The vendor's format puts the device address into src; kept as published.
    { kind: 'field', key: 'src', placeholder: 'DeviceIp', role: 'device_ip' },
    { kind: 'field', key: 'fileHash', placeholder: 'RE_HASH', role: 'hash' },
    { kind: 'field', key: 'request', placeholder: 'RE_URL', role: 'url' },
    { kind: 'field', key: 'sourceServiceName', placeholder: 'Device', role: 'device' },
    { kind: 'field', key: 'sproc', placeholder: 'Product', role: 'product' },
    { kind: 'field', key: 'suser', placeholder: 'UserName', role: 'user' },
    // Fixed text around the category: a constant for the parser, the service fills in %Category%.
    { kind: 'constant', key: 'msg', value: 'CyberTrace detected %Category%' },
    { kind: 'field', key: 'externalId', placeholder: 'Id', role: 'event_id' },
    { kind: 'bare', placeholder: 'ActionableFields', role: 'actionable' },
    { kind: 'constant', key: 'cs5Label', value: 'MatchedIndicator' },
    { kind: 'field', key: 'cs5', placeholder: 'MatchedIndicator', role: 'indicator' },
    { kind: 'constant', key: 'cn3Label', value: 'Confidence' },
    { kind: 'field', key: 'cn3', placeholder: 'Confidence', role: 'confidence' },
    { kind: 'constant', key: 'cs6Label', value: 'Context' },
    // Last, because the record context holds spaces and CEF values run to the next key.
    { kind: 'field', key: 'cs6', placeholder: 'RecordContext', role: 'context' },
  ],
};

export const alertEvent: EventContract = cefServiceEvent(CEF_HEADER);

/**
 * The Forwarding Connector escapes `=` inside CEF values as `\=`; the vendor's procedure adds this
 * normalizing rule to the default event source so the regexps see the plain values.
 */
export const NORMALIZING_RULE = { replace: '\\=', with: '=' } as const;

const IPV4 = '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}';
// A value ends at a space or the end of the event.
const END = '(?:$|\\s)';

/**
 * The regexps the vendor's page describes for the default event source ("URLs (with protocol),
 * hashes, IP addresses (src and dst), device name, vendor name, device IP address, user name, and
 * event ID"), written for the CEF keys of events an ArcSight Forwarding Connector sends. The
 * page does not print them: these are this project's, with the names the vendor's formats use.
 */
export const REGEXPS: RegExpDef[] = [
  { name: 'RE_HASH', type: 'HASH', extract: 'all', pattern: `fileHash=([\\da-fA-F]{32,64})${END}`, purpose: 'MD5, SHA1 or SHA256 hash (CEF fileHash)' },
  { name: 'DST_IP', type: 'IP', extract: 'first', pattern: `dst=(${IPV4})${END}`, purpose: 'destination IP (CEF dst)' },
  { name: 'SRC_IP', type: 'IP', extract: 'first', pattern: `src=(${IPV4})${END}`, purpose: 'source IP (CEF src)' },
  {
    name: 'RE_URL',
    type: 'URL',
    extract: 'first',
    pattern: `request=[a-zA-Z][a-zA-Z0-9+.-]*://(\\S+)${END}`,
    purpose: 'URL with a scheme (CEF request), looked up without the scheme',
  },
  { name: 'Device', type: 'CONTEXT', extract: 'first', pattern: 'CEF:\\d+\\|([^|]*)\\|', purpose: 'CEF header field 2 (device vendor) of the forwarded event' },
  {
    name: 'Product',
    type: 'CONTEXT',
    extract: 'first',
    pattern: 'CEF:\\d+\\|[^|]*\\|([^|]*)\\|',
    purpose: 'CEF header field 3 (device product) of the forwarded event',
  },
  { name: 'DeviceIp', type: 'CONTEXT', extract: 'first', pattern: `dvc=(${IPV4})${END}`, purpose: 'reporting device IP (CEF dvc)' },
  { name: 'UserName', type: 'CONTEXT', extract: 'first', pattern: `suser=(\\S+)${END}`, purpose: 'source user (CEF suser)' },
  { name: 'Id', type: 'CONTEXT', extract: 'first', pattern: `eventId=(\\d+)${END}`, purpose: 'ArcSight event id (CEF eventId)' },
];

/** Hash detections all show in fileHash, so every hash field of the feeds points at RE_HASH. */
export const FEED_FIELD_RENAMES = HASHES_AS_RE_HASH;

/** This connector's event definitions in one place: its CyberTrace settings and its SIEM-side parser both come from these. */
export const EVENTS: EventDefinitions = {
  detection: detectionEvent,
  alert: alertEvent,
  // The vendor's ArcSight page does not give the context formats: those of the CEF connectors.
  recordFieldContextFormat: CEF_RECORD_FIELD_CONTEXT_FORMAT,
  actionableFieldContextFormat: CEF_ACTIONABLE_FIELD_CONTEXT_FORMAT,
  regexps: REGEXPS,
  feedFieldRenames: FEED_FIELD_RENAMES,
};
