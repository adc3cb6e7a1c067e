/**
 * What the connectors whose SIEM reads CEF from CyberTrace (FortiSIEM, ArcSight) share: the CEF
 * header of CyberTrace's events, the service event, the context formats, and the wire contract
 * (events forwarded to CyberTrace as syslog + CEF; CyberTrace's events read back with the shared
 * CEF reader). A connector states only what differs: its header values, its detection event and
 * the extension of the events its SIEM forwards.
 */
import type { EventContract } from './event-contract.js';
import { contextPairsParser } from './context-pairs.js';
import { parseCefWithContract, strictCefMisreads, type CefEvents } from './parse-event.js';
import type { Indicator, WireContract } from '../model/events.js';

/** The CEF header values of CyberTrace's events for one SIEM. */
export interface CefHeader {
  vendor: string;
  product: string;
  version: string;
  /** Text after the last header bar, as a vendor published it (ArcSight's formats have a space). */
  after?: string;
}

export const CEF_DETECTION = { classId: '2', name: 'CyberTrace Detection Event', severity: 8 } as const;
export const CEF_SERVICE_EVENT = { classId: '1', name: 'CyberTrace Service Event', severity: 4 } as const;

/** `CEF:0|vendor|product|version|class|name|severity|`: the prefix of an event contract. */
export function cefPrefix(h: CefHeader, e: { classId: string; name: string; severity: number }): string {
  return `CEF:0|${h.vendor}|${h.product}|${h.version}|${e.classId}|${e.name}|${e.severity}|${h.after ?? ''}`;
}

/** The service event (alert): the alert text in `reason`, its context in `msg`. */
export function cefServiceEvent(h: CefHeader): EventContract {
  return {
    prefix: cefPrefix(h, CEF_SERVICE_EVENT),
    keySeparator: '=',
    partSeparator: ' ',
    parts: [
      { kind: 'field', key: 'reason', placeholder: 'Alert', role: 'alert' },
      { kind: 'field', key: 'msg', placeholder: 'RecordContext', role: 'context' },
    ],
  };
}

/**
 * Context pairs `name:value ` (a `:` keeps `=` out of the CEF value); actionable fields must
 * become CEF keys of their own, so theirs is `name=value `.
 */
export const CEF_RECORD_FIELD_CONTEXT_FORMAT = '%ParamName%:%ParamValue% ';
export const CEF_ACTIONABLE_FIELD_CONTEXT_FORMAT = '%ParamName%=%ParamValue% ';

/** CEF keys an event contract writes (an actionable field must not reuse one). */
export function cefKeysOf(contract: EventContract): string[] {
  return contract.parts.flatMap((p) => (p.kind === 'bare' ? [] : [p.key]));
}

/** CEF key of a forwarded event that carries each indicator type (dst, request, fileHash). */
const FORWARDED_KEY: Record<Indicator['type'], string> = { url: 'request', ip: 'dst', md5: 'fileHash', sha1: 'fileHash', sha256: 'fileHash' };

export interface CefWireSpec {
  /** For messages: the SIEM that filters on vendor/product. */
  siem: string;
  detection: EventContract;
  alert: EventContract;
  /** The syslog header and CEF header of a forwarded event, up to and including the last bar. */
  forwardedHeader: string;
  /**
   * The extension pairs of a forwarded event, in order; `{indicator}` stands for the indicator's own
   * pair, `{user}` in a pair for the indicator's user name (default `ctconnect-verify`).
   */
  forwardedExtension: string[];
}

/** The wire contract of a CEF connector: forwarded events as its SIEM sends them, CyberTrace's events read with the shared CEF reader. */
export function cefWire(spec: CefWireSpec): WireContract {
  const events: CefEvents = { siem: spec.siem, detection: spec.detection, alert: spec.alert, context: contextPairsParser(CEF_RECORD_FIELD_CONTEXT_FORMAT) };
  return {
    forwardedEvent(indicator) {
      // CyberTrace's URL regexps want a scheme; a bare host name is sent as http://.
      const value = indicator.type === 'url' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(indicator.value) ? `http://${indicator.value}` : indicator.value;
      const ext = spec.forwardedExtension.map((p) =>
        p === '{indicator}' ? `${FORWARDED_KEY[indicator.type]}=${value}` : p.replace('{user}', indicator.user ?? 'ctconnect-verify'),
      );
      return `${spec.forwardedHeader}${ext.join(' ')}`;
    },
    parseEvent: (line) => parseCefWithContract(line, events),
    strictMisreads: (line) => strictCefMisreads(line, events),
  };
}
