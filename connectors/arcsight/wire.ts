/**
 * ArcSight on the wire: the CEF events an ArcSight Forwarding Connector sends to CyberTrace, and
 * the CEF events CyberTrace sends to the SmartConnector, read as a CEF SmartConnector reads them
 * (header + key=value extension, through the shared CEF reader).
 */
import { cefWire, type WireContract } from '../../src/connector/index.js';
import { alertEvent, detectionEvent } from './contract.js';

/**
 * One ESM event as the Forwarding Connector's CEF Syslog destination sends it: a syslog header,
 * then CEF (ESM fields Destination Address, Request Url, File Hash carry the indicator). Values
 * are written as they are after the vendor's `\=` → `=` normalizing rule, so the event reads the
 * same in a CyberTrace with or without that rule (a URL such as `?p=1` would otherwise arrive as `?p\=1`).
 */
export const arcsightWire: WireContract = cefWire({
  siem: 'ArcSight',
  detection: detectionEvent,
  alert: alertEvent,
  forwardedHeader: '<134>Jan  1 00:00:00 arcsight CEF:0|Blue Coat|ProxySG|6.7|TCP_NC_MISS|proxy|3|',
  forwardedExtension: ['eventId=1001', 'src=10.20.30.40', 'dvc=10.20.30.1', 'suser={user}', '{indicator}'],
});
