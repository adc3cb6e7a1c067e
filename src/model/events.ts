/** Indicators and events as `verify`, `simulate` and the SIEM-side parsers see them. */

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
