/**
 * AlienVault USM / OSSIM event definitions (the Kaspersky CyberTrace–AlienVault integration guide). CyberTrace sends plain `key=value` syslog
 * messages to the AlienVault rsyslog; rsyslog writes them to /var/log/kaspersky_cyberTrace.log and
 * the ossim-agent plugin reads that file. The CyberTrace EventFormat / AlertFormat strings and
 * the plugin's regexps (connectors/alienvault/plugin-cfg.ts) are both derived from the lists here.
 */
import type { EventContract, EventDefinitions, FieldRole, RegExpDef } from '../../src/connector/index.js';

/**
 * Detection event of the Kaspersky CyberTrace–AlienVault integration guide:
 * `category=%Category% detected=%MatchedIndicator% url=%RE_URL% src=%SRC_IP% ip=%RE_IP% hash=%RE_MD5% context=%RecordContext%`.
 */
export const detectionEvent: EventContract = {
  prefix: '',
  keySeparator: '=',
  partSeparator: ' ',
  parts: [
    { kind: 'field', key: 'category', placeholder: 'Category', role: 'category' },
    { kind: 'field', key: 'detected', placeholder: 'MatchedIndicator', role: 'indicator' },
    { kind: 'field', key: 'url', placeholder: 'RE_URL', role: 'url' },
    { kind: 'field', key: 'src', placeholder: 'SRC_IP', role: 'src_ip' },
    { kind: 'field', key: 'ip', placeholder: 'RE_IP', role: 'dst_ip' },
    { kind: 'field', key: 'hash', placeholder: 'RE_MD5', role: 'md5' },
    // Last: the record context holds spaces and runs to the end of the line.
    { kind: 'field', key: 'context', placeholder: 'RecordContext', role: 'context' },
  ],
};

/** Service event (alert) of the Kaspersky CyberTrace–AlienVault integration guide: `alert=%Alert% context=%RecordContext%`. */
export const alertEvent: EventContract = {
  prefix: '',
  keySeparator: '=',
  partSeparator: ' ',
  parts: [
    { kind: 'field', key: 'alert', placeholder: 'Alert', role: 'alert' },
    { kind: 'field', key: 'context', placeholder: 'RecordContext', role: 'context' },
  ],
};

/**
 * Record context as in the Kaspersky CyberTrace–AlienVault integration guide raw log (`context= first_seen=10.07.2015 23:53 id=… type=1`):
 * each pair is ` name=value`. Values may hold spaces; a pair starts at a space followed by a
 * name and `=`, so the context can be split back into pairs (src/cybertrace/context-pairs.ts).
 */
export const RECORD_FIELD_CONTEXT_FORMAT = ' %ParamName%=%ParamValue%';
/** Not used by these formats (no %ActionableFields%), but the element is mandatory. */
export const ACTIONABLE_FIELD_CONTEXT_FORMAT = ' %ParamName%=%ParamValue%';

/** Which userdata field of the AlienVault event carries each role (the Kaspersky CyberTrace–AlienVault integration guide defines 1–3; 4–6 are additions). */
export const DETECTION_USERDATA: Array<{ userdata: string; role: FieldRole; label: string }> = [
  { userdata: 'userdata1', role: 'category', label: 'feed category (category=)' },
  { userdata: 'userdata2', role: 'indicator', label: 'detected indicator (detected=)' },
  { userdata: 'userdata3', role: 'context', label: 'context of the feed record (context=)' },
  { userdata: 'userdata4', role: 'url', label: 'URL found in the event (url=, "-" if none)' },
  { userdata: 'userdata5', role: 'dst_ip', label: 'IP address found in the event (ip=, "-" if none)' },
  { userdata: 'userdata6', role: 'md5', label: 'MD5 hash found in the event (hash=, "-" if none)' },
];
/** the Kaspersky CyberTrace–AlienVault integration guide: Userdata1 = the service event itself, Userdata2 = its context. */
export const ALERT_USERDATA: Array<{ userdata: string; role: FieldRole; label: string }> = [
  { userdata: 'userdata1', role: 'alert', label: 'the service event, e.g. KL_ALERT_UpdatedFeed (alert=)' },
  { userdata: 'userdata2', role: 'context', label: 'its context (context=)' },
];

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;

/**
 * The input regexps. What reaches CyberTrace is the raw syslog line of a device as rsyslog
 * forwards it (`<PRI>Mmm dd hh:mm:ss host tag: message`), in whatever layout the device writes,
 * so these are universal patterns (as Log Scanner's are) rather than key-based ones: every URL
 * with a scheme, every IPv4 address and every MD5/SHA1/SHA256-looking hex string is checked.
 * SRC_IP only labels the event with the source address when the device writes one under a
 * common key. Adjust them to the devices you forward (INSTALL.md says how).
 */
export const REGEXPS: RegExpDef[] = [
  {
    name: 'RE_URL',
    type: 'URL',
    extract: 'all',
    // The vendor's URL regexp (the Kaspersky CyberTrace–FortiSIEM integration guide): scheme, optional credentials, host, optional port and path.
    pattern:
      '(?:\\:\\/\\/)((?:\\S+(?::\\S*)?+@)?(?:(?:(?:[a-z\\x{00a1}-\\x{ffff}0-9]+-*)*[a-z\\x{00a1}-\\x{ffff}0-9]*)(?:\\.(?:[a-z\\x{00a1}-\\x{ffff}0-9]+-)*+[a-z\\x{00a1}-\\x{ffff}0-9]++)*(?:\\.(?:[a-z\\x{00a1}-\\x{ffff}\\-0-9]{2,}+)))(?:\\.*:\\d{2,5})?+(?:\\.*\\/[^\\s\\"\\<\\>]*+)?+)',
    purpose: 'every URL with a scheme (host, optional port and path) anywhere in the forwarded line',
  },
  {
    name: 'RE_IP',
    type: 'IP',
    extract: 'all',
    pattern: `(?<![0-9.])(${IPV4})(?![0-9]|\\.[0-9])`,
    purpose: 'every IPv4 address anywhere in the forwarded line (the device address in the syslog header included)',
  },
  {
    name: 'SRC_IP',
    type: 'CONTEXT',
    extract: 'first',
    pattern: `(?i)(?<![a-z0-9_-])(?:src|src_?ip|source_?ip|source_?address|client_?ip|c-ip)\\s*[=:]\\s*["']?(${IPV4})(?![0-9]|\\.[0-9])`,
    purpose: 'source address written under a common key (src=, srcip=, src_ip=, source_ip=, client_ip=, c-ip=), shown as src= in the event',
  },
  {
    name: 'RE_MD5',
    type: 'HASH',
    extract: 'all',
    pattern: '(?<![0-9A-Fa-f])([0-9A-Fa-f]{32})(?![0-9A-Fa-f])',
    purpose: 'every 32-digit hex string (MD5)',
  },
  {
    name: 'RE_SHA1',
    type: 'HASH',
    extract: 'all',
    pattern: '(?<![0-9A-Fa-f])([0-9A-Fa-f]{40})(?![0-9A-Fa-f])',
    purpose: 'every 40-digit hex string (SHA1), for feeds that match SHA1 hashes',
  },
  {
    name: 'RE_SHA256',
    type: 'HASH',
    extract: 'all',
    pattern: '(?<![0-9A-Fa-f])([0-9A-Fa-f]{64})(?![0-9A-Fa-f])',
    purpose: 'every 64-digit hex string (SHA256), for feeds that match SHA256 hashes',
  },
];

/** This connector's event definitions in one place: its CyberTrace settings and its SIEM-side parser both come from these. */
export const EVENTS: EventDefinitions = {
  detection: detectionEvent,
  alert: alertEvent,
  recordFieldContextFormat: RECORD_FIELD_CONTEXT_FORMAT,
  actionableFieldContextFormat: ACTIONABLE_FIELD_CONTEXT_FORMAT,
  regexps: REGEXPS,
};
