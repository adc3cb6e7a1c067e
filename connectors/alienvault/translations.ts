/**
 * The category → SID table of the AlienVault plugin (the [translation] section of
 * kaspersky_cyberTrace.cfg and the plugin_sid rows of kaspersky_cyberTrace.sql are both
 * generated from it, so they cannot disagree).
 *
 * Numbering: SID 1 is the service event, SID 2 the generic detection event (also `_DEFAULT_`,
 * so an unknown category is never dropped). Kaspersky categories get 10 + their index in
 * KASPERSKY_CATEGORIES (append-only, so stable). Custom categories get the lowest free SID
 * from 1000 up, in the order they are listed. Entries in `siems.alienvault.translations`
 * pin a SID and win over the defaults. The event name is "Kaspersky CyberTrace - " + the
 * category's title in the site (src/categories/), the title every other SIEM shows too.
 */
import { controlCharacter, KASPERSKY_CATEGORIES, type Site, siteCategoryTitle } from '../../src/connector/index.js';
import { UserError } from '../../src/kernel/errors.js';

export const PLUGIN_ID = 23021992;
export const SERVICE_EVENT_SID = 1;
export const GENERIC_DETECTION_SID = 2;
export const FIRST_KASPERSKY_SID = 10;
export const FIRST_CUSTOM_SID = 1000;
/** plugin_sid.sid is INT; the agent rewrites 0 to 20000000, so 0 is never used. */
export const MAX_SID = 2147483647;
export const EVENT_NAME_PREFIX = 'Kaspersky CyberTrace - ';
/** The [translation] key the agent falls back to for a category that is not listed. */
export const DEFAULT_TRANSLATION_KEY = '_DEFAULT_';
/** Why every table needs _DEFAULT_ (the AlienVault ossim-agent source), for error messages. */
export const DEFAULT_TRANSLATION_WHY =
  'without _DEFAULT_ the ossim-agent cannot give a SID to a category that is not listed: its parser loop dies on the first such event and the plugin reads nothing more until ossim-agent restarts';

/** One pinned row of `siems.alienvault.translations`. */
export interface TranslationOption {
  category: string;
  sid?: number;
}

export interface TranslationRow {
  category: string;
  sid: number;
  /** Full event name as stored in plugin_sid.name. */
  name: string;
}

export interface SidTable {
  service: TranslationRow;
  generic: TranslationRow;
  /** One row per category in use, sorted by SID. */
  categories: TranslationRow[];
}

export function defaultKasperskySid(category: string): number | undefined {
  const i = KASPERSKY_CATEGORIES.findIndex((c) => c.name === category);
  return i < 0 ? undefined : FIRST_KASPERSKY_SID + i;
}

/** Builds the table for a site; `pinned` defaults to siems.alienvault.translations. */
export function sidTable(site: Site, pinned: TranslationOption[] = pinnedTranslations(site)): SidTable {
  const pins = new Map(pinned.map((p) => [p.category, p]));
  const categories = [...site.categories.kaspersky, ...site.categories.custom.map((c) => c.name)];
  const listed = new Set(categories);
  for (const p of pinned) {
    if (listed.has(p.category)) continue;
    listed.add(p.category);
    categories.push(p.category);
  }

  // Pinned SIDs are reserved up front, so a default never takes a SID that a later pinned row owns.
  const pinnedSids = new Set(pinned.flatMap((p) => (p.sid === undefined ? [] : [p.sid])));
  const assigned = new Set<number>([SERVICE_EVENT_SID, GENERIC_DETECTION_SID]);
  const rows: TranslationRow[] = [];
  let nextCustom = FIRST_CUSTOM_SID;
  for (const category of categories) {
    const pin = pins.get(category);
    let sid = pin?.sid;
    if (sid === undefined) {
      const d = defaultKasperskySid(category);
      if (d !== undefined && !pinnedSids.has(d) && !assigned.has(d)) sid = d;
      else {
        while (assigned.has(nextCustom) || pinnedSids.has(nextCustom)) nextCustom++;
        sid = nextCustom;
      }
    }
    assigned.add(sid);
    rows.push({ category, sid, name: EVENT_NAME_PREFIX + siteCategoryTitle(site, category) });
  }
  rows.sort((a, b) => a.sid - b.sid);
  return {
    service: { category: '(service event)', sid: SERVICE_EVENT_SID, name: `${EVENT_NAME_PREFIX}Service event` },
    generic: { category: '_DEFAULT_', sid: GENERIC_DETECTION_SID, name: `${EVENT_NAME_PREFIX}Detection event` },
    categories: rows,
  };
}

export function pinnedTranslations(site: Site): TranslationOption[] {
  const opts = site.siems.alienvault as { translations?: TranslationOption[] } | undefined;
  return opts?.translations ?? [];
}

/** Problems of a pinned table (duplicate SIDs or categories, reserved SIDs), with the index of the offending row. */
export function translationProblems(pinned: TranslationOption[]): Array<{ index: number; field: 'sid' | 'category'; message: string }> {
  const problems: Array<{ index: number; field: 'sid' | 'category'; message: string }> = [];
  const sids = new Map<number, number>();
  const cats = new Map<string, number>();
  pinned.forEach((p, i) => {
    const key = p.category.toLowerCase();
    if (cats.has(key))
      problems.push({
        index: i,
        field: 'category',
        message: `category "${p.category}" is listed twice (the agent compares categories case-insensitively); first at index ${cats.get(key)}`,
      });
    cats.set(key, i);
    if (p.sid === undefined) return;
    if (p.sid === SERVICE_EVENT_SID || p.sid === GENERIC_DETECTION_SID)
      problems.push({ index: i, field: 'sid', message: `SID ${p.sid} is reserved (1 = service event, 2 = generic detection event)` });
    if (sids.has(p.sid)) problems.push({ index: i, field: 'sid', message: `SID ${p.sid} is already used by translations[${sids.get(p.sid)}]` });
    sids.set(p.sid, i);
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Site-file schema pieces and checks shared by the connector options and `ctconnect categories`.
// options.ts composes `retired_sids` into the `siems.alienvault` schema.

/** plugin_sid.name is VARCHAR(512) in utf8 (3-byte) tables; the prefix takes part of it. */
export const MAX_EVENT_NAME_CHARS = 512;
export const MAX_EVENT_NAME_LENGTH = MAX_EVENT_NAME_CHARS - EVENT_NAME_PREFIX.length;
/** SIDs a category may get: 1 and 2 are the service and generic events, 0 is rewritten by the agent. */
export const MIN_CATEGORY_SID = 3;

/**
 * Why a full event name (as stored in plugin_sid.name) cannot be stored exactly, or undefined.
 * The ossim tables are utf8 (3 bytes a character), so characters outside the Basic Multilingual
 * Plane (emoji, …) would be mangled; control characters would break the SIEM's event list.
 */
export function storedNameProblem(name: string): string | undefined {
  const control = controlCharacter(name);
  if (control) return `contains a control character (${control})`;
  const astral = /[\u{10000}-\u{10FFFF}]/u.exec(name);
  if (astral)
    return `contains "${astral[0]}" (U+${astral[0].codePointAt(0)!.toString(16).toUpperCase()}), a character outside the Basic Multilingual Plane, which the utf8 columns of the ossim database cannot store`;
  if (/[\uD800-\uDFFF]/u.test(name)) return 'contains an unpaired surrogate';
  const chars = [...name].length;
  if (chars > MAX_EVENT_NAME_CHARS) return `is ${chars} characters long; plugin_sid.name holds at most ${MAX_EVENT_NAME_CHARS}`;
  return undefined;
}

/** Why an event name (the part after "Kaspersky CyberTrace - ") cannot be used, or undefined. */
export function eventNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.trim() !== name) return 'must not start or end with spaces';
  if ([...name].length > MAX_EVENT_NAME_LENGTH)
    return `is ${[...name].length} characters long; at most ${MAX_EVENT_NAME_LENGTH} fit in plugin_sid.name after "${EVENT_NAME_PREFIX}"`;
  return storedNameProblem(EVENT_NAME_PREFIX + name);
}

/** Why `sid` cannot be a category SID, or undefined. */
export function sidRangeProblem(sid: number): string | undefined {
  if (!Number.isSafeInteger(sid)) return `must be a whole number (got ${sid})`;
  if (sid < MIN_CATEGORY_SID || sid > MAX_SID) {
    return `must be between ${MIN_CATEGORY_SID} and ${MAX_SID} (got ${sid}; 1 and 2 are the service and generic detection events)`;
  }
  return undefined;
}

const sidSchema = { type: 'integer', minimum: MIN_CATEGORY_SID, maximum: MAX_SID, description: `a SID from ${MIN_CATEGORY_SID} to ${MAX_SID}` } as const;

/** JSON Schema of `siems.alienvault.retired_sids`: SIDs of removed categories, never handed out again. */
export const retiredSidsSchema = { type: 'array', default: [], uniqueItems: true, items: sidSchema } as const;

export function retiredSids(site: Site): number[] {
  const opts = site.siems.alienvault as { retired_sids?: number[] } | undefined;
  return opts?.retired_sids ?? [];
}

/** Every SID of the table, service and generic events included. */
export function tableSids(table: SidTable): Set<number> {
  return new Set([table.service.sid, table.generic.sid, ...table.categories.map((r) => r.sid)]);
}

/** The lowest SID from FIRST_CUSTOM_SID up that is in none of `used`. */
export function allocateSid(used: ReadonlySet<number>): number {
  let sid = FIRST_CUSTOM_SID;
  while (used.has(sid)) sid++;
  if (sid > MAX_SID) throw new UserError('no free SID left');
  return sid;
}
