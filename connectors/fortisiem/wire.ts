/**
 * FortiSIEM on the wire: the syslog/CEF events FortiSIEM forwards to CyberTrace, and the CEF
 * events CyberTrace sends back read the way FortiSIEM reads CEF (header + key=value extension).
 */
import { type CefEvents, contextPairsParser, type Indicator, parseCefWithContract, strictCefMisreads, type WireContract } from '../../src/connector/index.js';
import { alertEvent, detectionEvent, RECORD_FIELD_CONTEXT_FORMAT } from './contract.js';

/** The record context `name:value name:value ` read back with the parser of its own format. */
const parseRecordContext = contextPairsParser(RECORD_FIELD_CONTEXT_FORMAT);

/** Key of the forwarded CEF event that carries each indicator type; the vendor guide's regexps read these. */
const FORWARDED_KEY: Record<Indicator['type'], string> = { url: 'request', ip: 'dst', md5: 'fileHash', sha1: 'fileHash', sha256: 'fileHash' };

function forwardedEvent(indicator: Indicator): string {
  const value = indicator.type === 'url' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(indicator.value) ? `http://${indicator.value}` : indicator.value;
  // A syslog header with <PRI> is what the EventDelimiter of this connector splits on.
  const ext = [`src=10.20.30.40`, `dvc=10.20.30.1`, `suser=${indicator.user ?? 'ctconnect-verify'}`, `eventId=1001`];
  ext.push(`${FORWARDED_KEY[indicator.type]}=${value}`);
  return `<134>Jan  1 00:00:00 fortisiem CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|${ext.join(' ')}`;
}

const EVENTS: CefEvents = { siem: 'FortiSIEM', detection: detectionEvent, alert: alertEvent, context: parseRecordContext };

export const fortisiemWire: WireContract = {
  forwardedEvent: (indicator) => forwardedEvent(indicator),
  parseEvent: (line) => parseCefWithContract(line, EVENTS),
  strictMisreads: (line) => strictCefMisreads(line, EVENTS),
};
