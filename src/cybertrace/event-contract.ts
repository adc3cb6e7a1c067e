/**
 * The single definition of an event format. A connector lists the parts of its detection (or
 * alert) event once; the CyberTrace format string is built from that list here, and the
 * connector's SIEM-side parser is built from the same list, so the two cannot drift apart.
 */

import type { FieldRole } from '../model/events.js';

export type EventPart =
  /** `key<sep>%Placeholder%`, e.g. `reason=%Category%`. */
  | { kind: 'field'; key: string; placeholder: string; role: FieldRole }
  /** `key<sep>literal`, e.g. `cs5Label=MatchedIndicator`. */
  | { kind: 'constant'; key: string; value: string }
  /** A placeholder with no key, e.g. `%ActionableFields%` that expands to its own key=value pairs. */
  | { kind: 'bare'; placeholder: string; role: FieldRole };

export interface EventContract {
  /** Text before the first part (e.g. a CEF header); no placeholders unless listed in headerFields. */
  prefix: string;
  parts: EventPart[];
  /** Between key and value. */
  keySeparator: string;
  /** Between parts. */
  partSeparator: string;
  /** Placeholders used inside the prefix, with their roles (e.g. %Date%). */
  prefixFields?: Array<{ placeholder: string; role: FieldRole }>;
  /**
   * Placeholders written right after the last part with no separator, e.g. `%RecordContext%`
   * when the context pair format itself starts with the part separator (`|%ParamName%=%ParamValue%`).
   */
  suffixFields?: Array<{ placeholder: string; role: FieldRole }>;
}

/** The CyberTrace format string (EventFormat / AlertFormat) of a contract. */
export function formatString(c: EventContract): string {
  const parts = c.parts.map((p) => {
    switch (p.kind) {
      case 'field':
        return `${p.key}${c.keySeparator}%${p.placeholder}%`;
      case 'constant':
        return `${p.key}${c.keySeparator}${p.value}`;
      case 'bare':
        return `%${p.placeholder}%`;
    }
  });
  return c.prefix + parts.join(c.partSeparator) + (c.suffixFields ?? []).map((f) => `%${f.placeholder}%`).join('');
}

/** Every placeholder a contract uses, with its role. */
export function contractFields(c: EventContract): Array<{ placeholder: string; role: FieldRole; key?: string }> {
  const out: Array<{ placeholder: string; role: FieldRole; key?: string }> = [...(c.prefixFields ?? [])];
  for (const p of c.parts) {
    if (p.kind === 'field') out.push({ placeholder: p.placeholder, role: p.role, key: p.key });
    if (p.kind === 'bare') out.push({ placeholder: p.placeholder, role: p.role });
  }
  out.push(...(c.suffixFields ?? []));
  return out;
}

/** Placeholders CyberTrace fills in itself; any other %NAME% must be a regexp of the input settings. */
export const BUILTIN_PLACEHOLDERS = new Set([
  'Date',
  'Alert',
  'Category',
  'MatchedIndicator',
  'RecordContext',
  'ActionableFields',
  'SourceId',
  'IndicatorInfo',
  'Confidence',
]);

/** What each key of an event carries, for a bundle's field reference: a placeholder (with its role) or fixed text. */
export function fieldReference(c: EventContract): Array<{ key: string; source: string; role: string }> {
  const rows: Array<{ key: string; source: string; role: string }> = [];
  for (const p of c.parts) {
    if (p.kind === 'field') rows.push({ key: p.key, source: `%${p.placeholder}%`, role: p.role });
    if (p.kind === 'constant') rows.push({ key: p.key, source: `text "${p.value}"`, role: 'fixed text' });
  }
  return rows;
}
