/**
 * QRadar event definitions. CyberTrace sends its detection and service events to QRadar as LEEF
 * 2.0 over syslog (CyberTrace help, "Integration with QRadar", CT 2020 topic 171612: a Universal
 * LEEF log source whose identifier is written in the EventFormat and AlertFormat). Kaspersky does
 * not publish its LEEF format strings, so these are defined here from IBM's LEEF specification
 * (https://www.ibm.com/docs/en/dsm?topic=overview-leef-event-components and
 * https://www.ibm.com/docs/en/dsm?topic=overview-predefined-leef-event-attributes): the EventFormat,
 * the AlertFormat and the reader of the bundle's QRadar side all come from the lists below.
 *
 * QRadar forwards events to CyberTrace in its Payload format: each device's raw payload
 * (CyberTrace help 4.4, topic 167582), so the regexps read the payloads of the devices, not a
 * QRadar format.
 */
import { type EventContract, type EventPart, type RegExpDef, type EventDefinitions, leefHeader } from '../../src/connector/index.js';
import type { QRadarOptions } from './options.js';

export const LEEF_VENDOR = 'Kaspersky';
export const LEEF_PRODUCT = 'CyberTrace';
export const LEEF_PRODUCT_VERSION = '1.0';
/** EventID of the LEEF header: with `cat` it is the key of a QID map entry (EventID = first column, cat = second). */
export const DETECTION_EVENT_ID = 'Detection';
export const ALERT_EVENT_ID = 'ServiceEvent';
/** Syslog PRI: facility user (1); warning (4) for detections, notice (5) for service events. */
const DETECTION_PRI = 12;
const ALERT_PRI = 13;

/** LEEF keys IBM predefines (the "Predefined LEEF event attributes" table) that these events use; QRadar normalizes them itself. */
export const PREDEFINED_KEYS: Readonly<Record<string, string>> = {
  cat: 'Event category; with the EventID it selects the QID map entry',
  sev: 'Severity, 1-10',
  src: 'Source IP',
  dst: 'Destination IP',
  usrName: 'Username',
};

/** The service alerts CyberTrace can send (CyberTrace help, the AlertFormat placeholder %Alert%). */
export const SERVICE_ALERTS = [
  'KL_ALERT_ServiceStarted',
  'KL_ALERT_ServiceStopped',
  'KL_ALERT_ServiceUnavailable',
  'KL_ALERT_ConfigurationUpdated',
  'KL_ALERT_UpdatedFeed',
  'KL_ALERT_OutdatedFeed',
  'KL_ALERT_FeedBecameAvailable',
  'KL_ALERT_FeedBecameUnavailable',
] as const;

/** Pairs `name:value ` keep "=" out of the record context (QRadar shows it as one custom property). */
export const RECORD_FIELD_CONTEXT_FORMAT = '%ParamName%:%ParamValue% ';

/** Detection parts after `cat` and `sev`: one list, so the format and the custom properties cannot differ. */
const DETECTION_FIELDS: Array<Extract<EventPart, { kind: 'field' }> & { property?: string }> = [
  { kind: 'field', key: 'src', placeholder: 'SRC_IP', role: 'src_ip' },
  { kind: 'field', key: 'dst', placeholder: 'DST_IP', role: 'dst_ip' },
  // Vendors' LEEF events commonly carry `url`; whether IBM normalizes it is not certain, and Kaspersky's
  // own QRadar integration shows URL as a custom property, so the bundle defines one for it.
  { kind: 'field', key: 'url', placeholder: 'RE_URL', role: 'url', property: 'URL' },
  { kind: 'field', key: 'usrName', placeholder: 'UserName', role: 'user' },
  { kind: 'field', key: 'md5', placeholder: 'RE_MD5', role: 'md5', property: 'MD5' },
  { kind: 'field', key: 'sha1', placeholder: 'RE_SHA1', role: 'sha1', property: 'SHA1' },
  { kind: 'field', key: 'sha256', placeholder: 'RE_SHA256', role: 'sha256', property: 'SHA256' },
  { kind: 'field', key: 'matchedIndicator', placeholder: 'MatchedIndicator', role: 'indicator', property: 'Matched Indicator' },
  { kind: 'field', key: 'confidence', placeholder: 'Confidence', role: 'confidence', property: 'Confidence' },
  { kind: 'field', key: 'deviceHost', placeholder: 'Device', role: 'device', property: 'Device Host' },
  { kind: 'field', key: 'deviceProduct', placeholder: 'Product', role: 'product', property: 'Device Product' },
  // Last: the record context is the longest value and the one most likely to hold odd text.
  { kind: 'field', key: 'recordContext', placeholder: 'RecordContext', role: 'context', property: 'Record Context' },
];

/** A custom event property of the bundle: the LEEF key it is read from and its QRadar name. */
export interface CustomProperty {
  key: string;
  name: string;
  placeholder: string;
  role: string;
  /** Also carried by service events. */
  inAlerts: boolean;
}

/** Every LEEF key of the events that IBM does not predefine, with the custom property that shows it. */
export function customProperties(): CustomProperty[] {
  return DETECTION_FIELDS.flatMap((f) =>
    f.property ? [{ key: f.key, name: f.property, placeholder: f.placeholder, role: f.role, inAlerts: f.key === 'recordContext' }] : [],
  );
}

/** A character of `delimiter` inside a PCRE character class. */
function classChar(c: string): string {
  if (c === '\t') return '\\t';
  return /[\\\]^-]/.test(c) ? `\\${c}` : c;
}

const IPV4 = '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}';

/**
 * Regexps for the raw payloads QRadar forwards. Kaspersky's QRadar regexps are not published;
 * these read the keys that LEEF, CEF and key=value payloads commonly use (LEEF src/dst/url/usrName,
 * CEF src/dst/request/suser) and hashes anywhere by length. Context values (user, device host,
 * product) stop at the LEEF delimiter so that they cannot split an attribute of CyberTrace's event.
 */
export function payloadRegexps(delimiter: string): RegExpDef[] {
  const d = classChar(delimiter);
  // A key starts the payload or follows a separator that is neither a word character nor a dot.
  const key = (names: string) => `(?:^|[^\\w.])(?:${names})=`;
  const hex = (n: number) => `(?:^|[^0-9A-Fa-f])([0-9A-Fa-f]{${n}})(?![0-9A-Fa-f])`;
  return [
    {
      name: 'RE_URL',
      type: 'URL',
      extract: 'first',
      pattern: `(?:^|[^\\w.])(?:url|request)=(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?([^\\s]+)`,
      purpose: 'URL (LEEF url, CEF request), looked up without the scheme',
    },
    { name: 'RE_MD5', type: 'HASH', extract: 'all', pattern: hex(32), purpose: 'MD5 hash anywhere in the payload (32 hex digits)' },
    { name: 'RE_SHA1', type: 'HASH', extract: 'all', pattern: hex(40), purpose: 'SHA1 hash anywhere in the payload (40 hex digits)' },
    { name: 'RE_SHA256', type: 'HASH', extract: 'all', pattern: hex(64), purpose: 'SHA256 hash anywhere in the payload (64 hex digits)' },
    {
      name: 'DST_IP',
      type: 'IP',
      extract: 'first',
      pattern: `${key('dst|dstIP|destinationAddress')}(${IPV4})(?!\\d)`,
      purpose: 'destination IP (LEEF/CEF dst)',
    },
    { name: 'SRC_IP', type: 'IP', extract: 'first', pattern: `${key('src|srcIP|sourceAddress')}(${IPV4})(?!\\d)`, purpose: 'source IP (LEEF/CEF src)' },
    {
      name: 'UserName',
      type: 'CONTEXT',
      extract: 'first',
      pattern: `${key('usrName|suser|user')}([^\\s${d}]+)`,
      purpose: 'user name (LEEF usrName, CEF suser)',
    },
    {
      name: 'Device',
      type: 'CONTEXT',
      extract: 'first',
      pattern: `^(?:<\\d{1,3}>)?(?:1 \\S+|[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) ([^\\s${d}]+)`,
      purpose: "host of the payload's syslog header (RFC 3164 or 5424)",
    },
    {
      name: 'Product',
      type: 'CONTEXT',
      extract: 'first',
      pattern: `(?:LEEF|CEF):[\\d.]+\\|[^|]*\\|([^|${d}]+)\\|`,
      purpose: 'product field of a LEEF or CEF header',
    },
  ];
}

/**
 * One LEEF 2.0 event under the site's log source: the syslog header (%Date% is `Mon DD HH:MM:SS`,
 * as RFC 3164 wants, and the host is the log source identifier), the LEEF header, then `cat`
 * (with the EventID it selects the QID), `sev`, and the other attributes.
 */
function leefEvent(
  o: QRadarOptions,
  pri: number,
  eventId: string,
  cat: string,
  role: 'category' | 'alert',
  severity: number,
  rest: EventPart[],
): EventContract {
  const header = leefHeader({
    version: '2.0',
    vendor: LEEF_VENDOR,
    product: LEEF_PRODUCT,
    productVersion: LEEF_PRODUCT_VERSION,
    eventId,
    delimiter: o.delimiter,
  });
  return {
    prefix: `<${pri}>%Date% ${o.log_source_identifier} ${header}`,
    prefixFields: [{ placeholder: 'Date', role: 'date' }],
    keySeparator: '=',
    partSeparator: o.delimiter,
    parts: [{ kind: 'field', key: 'cat', placeholder: cat, role }, { kind: 'constant', key: 'sev', value: String(severity) }, ...rest],
  };
}

export function detectionEvent(o: QRadarOptions): EventContract {
  const fields = DETECTION_FIELDS.map(({ kind, key, placeholder, role }): EventPart => ({ kind, key, placeholder, role }));
  return {
    ...leefEvent(o, DETECTION_PRI, DETECTION_EVENT_ID, 'Category', 'category', o.detection_severity, fields),
    // Actionable fields become LEEF keys of their own (their format starts with the delimiter).
    suffixFields: [{ placeholder: 'ActionableFields', role: 'actionable' }],
  };
}

export function alertEvent(o: QRadarOptions): EventContract {
  return leefEvent(o, ALERT_PRI, ALERT_EVENT_ID, 'Alert', 'alert', o.service_severity, [
    { kind: 'field', key: 'recordContext', placeholder: 'RecordContext', role: 'context' },
  ]);
}

/** Each actionable field as `<delimiter>name=value`, after the last attribute. */
export const actionableFieldContextFormat = (o: QRadarOptions) => `${o.delimiter}%ParamName%=%ParamValue%`;

/** This connector's event definitions for one site: the CyberTrace settings and the QRadar-side reader both come from these. */
export function events(o: QRadarOptions): EventDefinitions {
  return {
    detection: detectionEvent(o),
    alert: alertEvent(o),
    recordFieldContextFormat: RECORD_FIELD_CONTEXT_FORMAT,
    actionableFieldContextFormat: actionableFieldContextFormat(o),
    regexps: payloadRegexps(o.delimiter),
    // Separate md5/sha1/sha256 keys: the feeds' RE_MD5/RE_SHA1/RE_SHA256 fields are kept as they are.
    feedFieldRenames: {},
  };
}
