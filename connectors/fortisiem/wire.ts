/**
 * FortiSIEM on the wire: the syslog/CEF events FortiSIEM forwards to CyberTrace, and the CEF
 * events CyberTrace sends back read the way FortiSIEM reads CEF (header + key=value extension).
 */
import type { Indicator, ParsedEvent, WireContract } from '../../src/core/contract.js';
import type { FieldRole } from '../../src/cybertrace/event-contract.js';
import { parseCef } from '../../src/formats/cef.js';
import { alertEvent, CEF_PRODUCT, CEF_VENDOR, detectionEvent, RECORD_FIELD_CONTEXT_FORMAT } from './contract.js';
import { contextPairsParser } from '../../src/cybertrace/context-pairs.js';

/** The record context `name:value name:value ` read back with the parser of its own format. */
const parseRecordContext = contextPairsParser(RECORD_FIELD_CONTEXT_FORMAT);

/** Key of the forwarded CEF event that carries each indicator type; the seed's regexps read these. */
const FORWARDED_KEY: Record<Indicator['type'], string> = { url: 'request', ip: 'dst', md5: 'fileHash', sha1: 'fileHash', sha256: 'fileHash' };

function forwardedEvent(indicator: Indicator): string {
  const value = indicator.type === 'url' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(indicator.value) ? `http://${indicator.value}` : indicator.value;
  // A syslog header with <PRI> is what the EventDelimiter of this connector splits on.
  const ext = [`src=10.20.30.40`, `dvc=10.20.30.1`, `suser=ctconnect-verify`, `eventId=1001`];
  ext.push(`${FORWARDED_KEY[indicator.type]}=${value}`);
  return `<134>Jan  1 00:00:00 fortisiem CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|${ext.join(' ')}`;
}

function parseEvent(line: string): ParsedEvent {
  const ev = parseCef(line);
  if (ev.deviceVendor !== CEF_VENDOR || ev.deviceProduct !== CEF_PRODUCT) {
    throw new Error(`not a CyberTrace event: CEF vendor/product is "${ev.deviceVendor}/${ev.deviceProduct}", FortiSIEM filters on ${CEF_VENDOR}/${CEF_PRODUCT}`);
  }
  const contract = ev.deviceEventClassId === '2' ? detectionEvent : ev.deviceEventClassId === '1' ? alertEvent : undefined;
  if (!contract) throw new Error(`unknown CyberTrace event class id "${ev.deviceEventClassId}" (expected 1 = service event, 2 = detection event)`);
  const fields: Partial<Record<FieldRole, string>> = {};
  let context: Array<[string, string]> = [];
  for (const p of contract.parts) {
    if (p.kind !== 'field') continue;
    const v = ev.extension[p.key];
    if (v === undefined) throw new Error(`CEF key "${p.key}" (${p.role}) is missing`);
    if (p.role === 'context') context = parseRecordContext(v);
    else if (v !== '-') fields[p.role] = v;
  }
  return { kind: contract === detectionEvent ? 'detection' : 'alert', fields, context };
}

export const fortisiemWire: WireContract = {
  forwardedEvent: (indicator) => forwardedEvent(indicator),
  parseEvent: (line) => parseEvent(line),
};
