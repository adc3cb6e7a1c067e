/**
 * ArcSight on the wire: the CEF events an ArcSight Forwarding Connector sends to CyberTrace, and
 * the CEF events CyberTrace sends to the SmartConnector, read as a CEF SmartConnector reads them
 * (header + key=value extension, through the shared CEF reader).
 */
import { type CefEvents, contextPairsParser, type Indicator, parseCefWithContract, strictCefMisreads, type WireContract } from '../../src/connector/index.js';
import { alertEvent, detectionEvent, RECORD_FIELD_CONTEXT_FORMAT } from './contract.js';

const parseRecordContext = contextPairsParser(RECORD_FIELD_CONTEXT_FORMAT);

/** CEF key of the forwarded event that carries each indicator type (ESM fields Destination Address, Request Url, File Hash). */
const FORWARDED_KEY: Record<Indicator['type'], string> = { url: 'request', ip: 'dst', md5: 'fileHash', sha1: 'fileHash', sha256: 'fileHash' };

/**
 * One ESM event as the Forwarding Connector's CEF Syslog destination sends it: a syslog header,
 * then CEF. Values are written as they are after the vendor's `\=` → `=` normalizing rule, so the
 * event reads the same in a CyberTrace with or without that rule (a URL such as `?p=1` would
 * otherwise arrive as `?p\=1`).
 */
function forwardedEvent(indicator: Indicator): string {
  const value = indicator.type === 'url' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(indicator.value) ? `http://${indicator.value}` : indicator.value;
  const ext = ['eventId=1001', 'src=10.20.30.40', 'dvc=10.20.30.1', `suser=${indicator.user ?? 'ctconnect-verify'}`, `${FORWARDED_KEY[indicator.type]}=${value}`];
  return `<134>Jan  1 00:00:00 arcsight CEF:0|Blue Coat|ProxySG|6.7|TCP_NC_MISS|proxy|3|${ext.join(' ')}`;
}

const EVENTS: CefEvents = { siem: 'ArcSight', detection: detectionEvent, alert: alertEvent, context: parseRecordContext };

export const arcsightWire: WireContract = {
  forwardedEvent: (indicator) => forwardedEvent(indicator),
  parseEvent: (line) => parseCefWithContract(line, EVENTS),
  strictMisreads: (line) => strictCefMisreads(line, EVENTS),
};
