/**
 * Builds a connector's CyberTrace settings from its event definitions: the format strings come
 * from the same EventContract lists the SIEM-side parsers are built from.
 */
import { formatString, type EventContract } from './event-contract.js';
import type { CyberTraceSettings, RegExpDef } from '../model/cybertrace.js';

/** Everything about a connector's events that does not depend on the site. */
export interface EventDefinitions {
  detection: EventContract;
  /** Absent = CyberTrace sends no service alerts. */
  alert?: EventContract;
  recordFieldContextFormat: string;
  actionableFieldContextFormat: string;
  regexps: RegExpDef[];
  eventDelimiter?: string;
  feedFieldRenames?: Readonly<Record<string, string>>;
  /** FinishedEventFormat text a lookup client of this connector waits for (absent = the element's text is kept). */
  finishedEventText?: string;
}

export const SUPPORTED_CYBERTRACE_VERSIONS = ['3.x', '4.x'];

/** For formats with one hash key: every hash field of the feeds points at RE_HASH (the FortiSIEM guide, ArcSight). */
export const HASHES_AS_RE_HASH: Readonly<Record<string, string>> = { RE_MD5: 'RE_HASH', RE_SHA1: 'RE_HASH', RE_SHA256: 'RE_HASH' };

/** `input` is where CyberTrace listens (host:port), `output` where it sends events. */
export function cybertraceSettings(def: EventDefinitions, input: string, output: string): CyberTraceSettings {
  return {
    versions: SUPPORTED_CYBERTRACE_VERSIONS,
    input: { connectionString: input, ...(def.eventDelimiter !== undefined ? { eventDelimiter: def.eventDelimiter } : {}), regexps: def.regexps },
    output: {
      connectionString: output,
      eventFormat: formatString(def.detection),
      ...(def.alert ? { alertFormat: formatString(def.alert) } : {}),
      recordFieldContextFormat: def.recordFieldContextFormat,
      actionableFieldContextFormat: def.actionableFieldContextFormat,
      // Events forwarded by a SIEM must not each produce a finished event; clients that want one ask by mode header.
      finishedEventEnabled: false,
      ...(def.finishedEventText !== undefined ? { finishedEventText: def.finishedEventText } : {}),
    },
    feedFieldRenames: { ...def.feedFieldRenames },
  };
}
