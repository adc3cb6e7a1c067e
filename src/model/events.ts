/** Indicators and events as `verify`, `simulate` and the SIEM-side parsers see them. */
import type { Site } from './site.js';

/** What a field means, independent of how a SIEM names it; tests and `verify` compare by role. */
export type FieldRole =
  | 'category'
  | 'indicator'
  | 'url'
  | 'src_ip'
  | 'dst_ip'
  | 'hash'
  | 'md5'
  | 'sha1'
  | 'sha256'
  | 'device_ip'
  | 'device'
  | 'product'
  | 'user'
  | 'event_id'
  | 'confidence'
  | 'context'
  | 'actionable'
  | 'alert'
  | 'date';

/** An indicator as used by `verify` and `simulate`. */
export interface Indicator {
  type: 'url' | 'ip' | 'md5' | 'sha1' | 'sha256';
  value: string;
  /** User name the forwarded event carries where the SIEM forwards one (default: a plain one). */
  user?: string;
}

/** An event from CyberTrace as the SIEM side reads it, keyed by field role (see src/cybertrace/event-contract.ts). */
export interface ParsedEvent {
  kind: 'detection' | 'alert';
  fields: Partial<Record<FieldRole, string>>;
  /** Record context pairs in order, as the SIEM shows them. */
  context: Array<[string, string]>;
}

/**
 * How events cross the wire for this SIEM, used by `verify`, `simulate` and round-trip tests:
 * what the SIEM forwards to CyberTrace, and how it reads what CyberTrace sends back.
 */
export interface WireContract {
  /** One event carrying `indicator`, exactly as this SIEM forwards it to the CyberTrace input port (no trailing LF). */
  forwardedEvent(indicator: Indicator, site: Site): string;
  /** Parses one event CyberTrace sent to this SIEM with the SIEM-side parser of the bundle; throws Error saying what did not match. */
  parseEvent(line: string, site: Site): ParsedEvent;
  /**
   * Optional: what the SIEM's intake makes of a line CyberTrace sent before the parser sees it
   * (e.g. rsyslog writing it to a log file with a date and host in front). Absent = unchanged.
   */
  asReceived?(line: string, site: Site): string;
  /**
   * Optional: for formats with a specification stricter than the bundle's reader (CEF), the
   * fields a reader that follows it reads differently, one message each (empty: none).
   */
  strictMisreads?(line: string, site: Site): string[];
}
