/**
 * QRadar on the wire: what a QRadar forwarding destination in Payload format sends to CyberTrace
 * (a device's raw payload: here a proxy's LEEF 1.0 syslog line), and CyberTrace's LEEF 2.0
 * events read as QRadar's Universal LEEF log source reads them: the syslog host selects the log
 * source, the header's vendor, product and EventID the event, then the attributes by key.
 */
import { ReadError } from '../../src/kernel/errors.js';
import { type Indicator, type ParsedEvent, type WireContract, type Site, type FieldRole, contextPairsParser, parseLeef } from '../../src/connector/index.js';
import { alertEvent, ALERT_EVENT_ID, detectionEvent, DETECTION_EVENT_ID, LEEF_PRODUCT, LEEF_VENDOR, RECORD_FIELD_CONTEXT_FORMAT } from './contract.js';
import type { QRadarOptions } from './options.js';

const parseRecordContext = contextPairsParser(RECORD_FIELD_CONTEXT_FORMAT);
/** What CyberTrace writes for a placeholder whose regexp found nothing. */
const MISSING = '-';

/** The LEEF key of the device payload that carries each indicator type. */
const PAYLOAD_KEY: Record<Indicator['type'], string> = { url: 'url', ip: 'dst', md5: 'fileHash', sha1: 'fileHash', sha256: 'fileHash' };

/** One device event as QRadar forwards it in Payload format: the raw syslog line of a proxy that sends LEEF 1.0 (tab-separated). */
export function payloadEvent(indicator: Indicator): string {
  const attrs = ['src=10.20.30.40', `usrName=${indicator.user ?? 'ctconnect-verify'}`, `${PAYLOAD_KEY[indicator.type]}=${indicator.value}`];
  return `<134>Jan  1 00:00:00 proxy-1 LEEF:1.0|Blue Coat|ProxySG|6.7|TCP_NC_MISS|${attrs.join('\t')}`;
}

export const qradarOptions = (site: Site): QRadarOptions => site.siems.qradar as QRadarOptions;

/** Reads one event CyberTrace sent, as the Universal LEEF log source of the site reads it. */
export function parseQRadarEvent(line: string, o: QRadarOptions): ParsedEvent {
  const ev = parseLeef(line);
  if (ev.syslog?.host !== o.log_source_identifier) {
    throw new ReadError(
      `syslog host is ${ev.syslog?.host === undefined ? 'missing' : `"${ev.syslog.host}"`}: QRadar matches the log source "${o.log_source_identifier}" by it`,
    );
  }
  if (ev.version !== '2.0' || ev.vendor !== LEEF_VENDOR || ev.product !== LEEF_PRODUCT) {
    throw new ReadError(
      `not a CyberTrace event: LEEF ${ev.version} vendor/product "${ev.vendor}/${ev.product}", expected LEEF 2.0 ${LEEF_VENDOR}/${LEEF_PRODUCT}`,
    );
  }
  if (ev.delimiter !== o.delimiter)
    throw new ReadError(`the event declares the delimiter ${JSON.stringify(ev.delimiter)}, the site ${JSON.stringify(o.delimiter)}`);
  const kind = ev.eventId === DETECTION_EVENT_ID ? 'detection' : ev.eventId === ALERT_EVENT_ID ? 'alert' : undefined;
  if (!kind) throw new ReadError(`unknown EventID "${ev.eventId}" (expected ${DETECTION_EVENT_ID} or ${ALERT_EVENT_ID})`);
  const contract = kind === 'detection' ? detectionEvent(o) : alertEvent(o);
  const attrs = new Map(ev.attributes);
  // %Date% is the syslog header's timestamp (the contract's prefix field).
  const fields: Partial<Record<FieldRole, string>> = ev.syslog?.timestamp !== undefined ? { date: ev.syslog.timestamp } : {};
  let context: Array<[string, string]> = [];
  for (const p of contract.parts) {
    if (p.kind === 'bare') continue;
    const v = attrs.get(p.key);
    if (v === undefined) throw new ReadError(`LEEF key "${p.key}" is missing`);
    if (p.kind === 'constant') {
      if (v !== p.value) throw new ReadError(`"${p.key}" should be "${p.value}", got "${v}"`);
      continue;
    }
    if (p.role === 'context') context = v === MISSING ? [] : parseRecordContext(v);
    else if (v !== MISSING) fields[p.role] = v;
  }
  return { kind, fields, context };
}

export const qradarWire: WireContract = {
  forwardedEvent: (indicator) => payloadEvent(indicator),
  parseEvent: (line, site) => parseQRadarEvent(line, qradarOptions(site)),
};
