/**
 * FortiSIEM on the wire: the syslog/CEF events FortiSIEM forwards to CyberTrace, and the CEF
 * events CyberTrace sends back read the way FortiSIEM reads CEF (header + key=value extension).
 */
import { cefWire, type WireContract } from '../../src/connector/index.js';
import { alertEvent, detectionEvent } from './contract.js';

// A syslog header with <PRI> is what the EventDelimiter of this connector splits on; the vendor guide's regexps read these keys.
export const fortisiemWire: WireContract = cefWire({
  siem: 'FortiSIEM',
  detection: detectionEvent,
  alert: alertEvent,
  forwardedHeader: '<134>Jan  1 00:00:00 fortisiem CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|',
  forwardedExtension: ['src=10.20.30.40', 'dvc=10.20.30.1', 'suser={user}', 'eventId=1001', '{indicator}'],
});
