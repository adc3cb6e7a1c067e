/**
 * The edits behind `ctconnect categories add | rename | remove | import`, as pure functions on
 * the parts of the site file that make up the category → SID table.
 *
 * Stability: the default numbering gives unpinned custom categories the lowest free SID in list
 * order, so removing one would renumber the ones after it. Every edit therefore first pins every
 * row whose SID is not its fixed Kaspersky default (pinAll), so an edit never moves another
 * category's SID.
 *
 * Retired SIDs: a removed category's SID goes to `retired_sids` and is never handed out again,
 * because events already stored in the SIEM with that SID would otherwise show the new
 * category's name. (Kept simple: the list only grows; delete entries by hand to reuse a SID.)
 */
import { closest, distance } from 'fastest-levenshtein';
import type { CustomCategory, Site } from '../../src/config/site.js';
import { UserError } from '../../src/core/errors.js';
import { KASPERSKY_CATEGORIES, categoryTitle } from '../../src/cybertrace/categories.js';
import type { InstallationTable } from './import.js';
import {
  DEFAULT_TRANSLATION_KEY,
  DEFAULT_TRANSLATION_WHY,
  EVENT_NAME_PREFIX,
  PLUGIN_ID,
  allocateSid,
  defaultKasperskySid,
  eventNameProblem,
  pinnedTranslations,
  retiredSids,
  sidRangeProblem,
  sidTable,
  tableSids,
  translationProblems,
  type SidTable,
  type TranslationOption,
  type TranslationRow,
} from './translations.js';

/** The parts of the site an edit changes. */
export interface TranslationState {
  kaspersky: string[];
  custom: CustomCategory[];
  pins: TranslationOption[];
  retired: number[];
}

export interface EditOutcome {
  state: TranslationState;
  /** What the edit does, one line each, for the plan. */
  summary: string[];
  /** SIDs whose plugin_sid row changes (for --db). */
  touchedSids: number[];
  /** Nothing to do (e.g. renaming to the current name). */
  unchanged?: boolean;
}

/** SIDs that exist elsewhere (the live database) and must not be handed out, with what uses them. */
export type ExternalSids = ReadonlyMap<number, string>;

const CATEGORY_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

export function stateOf(site: Site): TranslationState {
  return {
    kaspersky: [...site.categories.kaspersky],
    custom: site.categories.custom.map((c) => ({ ...c })),
    pins: pinnedTranslations(site).map((p) => ({ ...p })),
    retired: [...retiredSids(site)],
  };
}

/** The site as it would be with `state` (for computing its table). */
export function siteWithState(site: Site, state: TranslationState): Site {
  const av = { ...(site.siems.alienvault ?? {}), translations: state.pins, retired_sids: state.retired };
  return { ...site, categories: { kaspersky: state.kaspersky, custom: state.custom }, siems: { ...site.siems, alienvault: av } };
}

export function tableOf(site: Site, state: TranslationState): SidTable {
  return sidTable(siteWithState(site, state), state.pins);
}

export function isKasperskyCategory(name: string): boolean {
  return KASPERSKY_CATEGORIES.some((k) => k.name === name);
}

/** Pins every row whose SID is not its Kaspersky default, so later edits cannot renumber it. */
export function pinAll(site: Site, state: TranslationState): TranslationState {
  const table = tableOf(site, state);
  const pins = state.pins.map((p) => ({ ...p }));
  const added: TranslationOption[] = [];
  for (const row of table.categories) {
    const pin = pins.find((p) => p.category === row.category);
    if (pin) {
      if (pin.sid === undefined) pin.sid = row.sid;
    } else if (defaultKasperskySid(row.category) !== row.sid) {
      added.push({ category: row.category, sid: row.sid });
    }
  }
  added.sort((a, b) => a.sid! - b.sid!);
  return { ...state, pins: [...pins, ...added] };
}

export function findRow(table: SidTable, category: string): TranslationRow | undefined {
  return table.categories.find((r) => r.category === category) ?? table.categories.find((r) => r.category.toLowerCase() === category.toLowerCase());
}

function unknownCategory(table: SidTable, category: string, source: string): UserError {
  const names = table.categories.map((r) => r.category);
  let hint = '';
  if (names.length > 0) {
    const best = closest(category, names);
    if (distance(category, best) <= Math.max(2, Math.floor(best.length / 3))) hint = ` (did you mean "${best}"?)`;
  }
  if (category.toLowerCase() === DEFAULT_TRANSLATION_KEY.toLowerCase()) {
    hint = ` (${DEFAULT_TRANSLATION_KEY} is the generic detection event, SID 2, not a category: it cannot be renamed or removed, because ${DEFAULT_TRANSLATION_WHY})`;
  }
  return new UserError(`${source}: category "${category}" is not in the translation table${hint}`, ['see `ctconnect categories list`']);
}

function checkName(name: string, what: string): void {
  const problem = eventNameProblem(name);
  if (problem) throw new UserError(`${what}: the event name ${JSON.stringify(name)} ${problem}`);
}

/** Who uses `sid` already, or undefined. */
function sidOwner(table: SidTable, state: TranslationState, external: ExternalSids, sid: number): string | undefined {
  if (sid === table.service.sid) return 'the service event';
  if (sid === table.generic.sid) return 'the generic detection event (_DEFAULT_)';
  const row = table.categories.find((r) => r.sid === sid);
  if (row) return `category "${row.category}"`;
  const pin = state.pins.find((p) => p.sid === sid);
  if (pin) return `the pinned row of "${pin.category}"`;
  if (state.retired.includes(sid)) return 'a removed category (listed in siems.alienvault.retired_sids; events stored with it keep that meaning)';
  const ext = external.get(sid);
  if (ext !== undefined) return `a row already in the database for plugin ${PLUGIN_ID} (${JSON.stringify(ext)})`;
  return undefined;
}

function usedSids(table: SidTable, state: TranslationState, external: ExternalSids): Set<number> {
  const used = tableSids(table);
  for (const p of state.pins) if (p.sid !== undefined) used.add(p.sid);
  for (const s of state.retired) used.add(s);
  for (const s of external.keys()) used.add(s);
  return used;
}

export interface AddRequest {
  category: string;
  name?: string;
  sid?: number;
}

export function addCategory(site: Site, state0: TranslationState, req: AddRequest, external: ExternalSids = new Map()): EditOutcome {
  const { category } = req;
  if (category.toLowerCase() === DEFAULT_TRANSLATION_KEY.toLowerCase()) {
    throw new UserError(`category ${JSON.stringify(category)}: ${DEFAULT_TRANSLATION_KEY} is the fallback of the [translation] section (the generic detection event, SID 2), not a category; it is always there, because ${DEFAULT_TRANSLATION_WHY}`);
  }
  if (!CATEGORY_NAME.test(category)) {
    throw new UserError(`category ${JSON.stringify(category)}: must be the feed's category attribute: letters, digits, "_", "-", ".", starting with a letter (at most 128 characters)`);
  }
  const before = tableOf(site, state0);
  const existing = findRow(before, category);
  if (existing) {
    throw new UserError(`category "${category}" is already in the translation table as "${existing.category}" with SID ${existing.sid} ("${existing.name}")`, [
      'the agent compares categories case-insensitively; use `ctconnect categories rename` to change its event name',
    ]);
  }
  if (req.name !== undefined) checkName(req.name, '--name');
  const state = pinAll(site, state0);
  const table = tableOf(site, state);
  let sid: number;
  if (req.sid !== undefined) {
    const range = sidRangeProblem(req.sid);
    if (range) throw new UserError(`--sid: ${range}`);
    const owner = sidOwner(table, state, external, req.sid);
    if (owner) throw new UserError(`--sid ${req.sid}: already used by ${owner}; choose another SID or leave --sid out to get a free one`);
    sid = req.sid;
  } else {
    const used = usedSids(table, state, external);
    const d = defaultKasperskySid(category);
    sid = d !== undefined && !used.has(d) ? d : allocateSid(used);
  }
  const kaspersky = isKasperskyCategory(category);
  const next: TranslationState = {
    kaspersky: kaspersky && !state.kaspersky.includes(category) ? [...state.kaspersky, category] : state.kaspersky,
    custom: kaspersky ? state.custom : [...state.custom, { name: category }],
    pins: [...state.pins, req.name !== undefined ? { category, sid, name: req.name } : { category, sid }],
    retired: state.retired,
  };
  const name = EVENT_NAME_PREFIX + (req.name ?? categoryTitle(category));
  return {
    state: next,
    summary: [`add ${kaspersky ? 'Kaspersky' : 'custom'} category "${category}" with SID ${sid}, event name ${JSON.stringify(name)}`],
    touchedSids: [sid],
  };
}

export function renameCategory(site: Site, state0: TranslationState, category: string, name: string): EditOutcome {
  const row = findRow(tableOf(site, state0), category);
  if (!row) throw unknownCategory(tableOf(site, state0), category, site.source);
  checkName(name, 'new name');
  if (row.name === EVENT_NAME_PREFIX + name) {
    return { state: state0, summary: [`"${row.category}" (SID ${row.sid}) is already named ${JSON.stringify(row.name)}`], touchedSids: [], unchanged: true };
  }
  const state = pinAll(site, state0);
  const pinned = state.pins.some((p) => p.category === row.category);
  const pins = pinned ? state.pins.map((p) => (p.category === row.category ? { ...p, sid: row.sid, name } : p)) : [...state.pins, { category: row.category, sid: row.sid, name }];
  return {
    state: { ...state, pins },
    summary: [`rename "${row.category}" (SID ${row.sid}): ${JSON.stringify(row.name)} → ${JSON.stringify(EVENT_NAME_PREFIX + name)}`],
    touchedSids: [row.sid],
  };
}

export function removeCategory(site: Site, state0: TranslationState, category: string): EditOutcome {
  const row = findRow(tableOf(site, state0), category);
  if (!row) throw unknownCategory(tableOf(site, state0), category, site.source);
  const state = pinAll(site, state0);
  const summary = [`remove "${row.category}" (SID ${row.sid}, ${JSON.stringify(row.name)}); SID ${row.sid} is retired and not handed out again`];
  if (state.kaspersky.includes(row.category)) summary.push(`remove "${row.category}" from categories.kaspersky`);
  if (state.custom.some((c) => c.name === row.category)) summary.push(`remove "${row.category}" from categories.custom`);
  return {
    state: {
      kaspersky: state.kaspersky.filter((c) => c !== row.category),
      custom: state.custom.filter((c) => c.name !== row.category),
      pins: state.pins.filter((p) => p.category !== row.category),
      retired: state.retired.includes(row.sid) ? state.retired : [...state.retired, row.sid],
    },
    summary,
    touchedSids: [row.sid],
  };
}

export interface ImportOutcome extends EditOutcome {
  conflicts: string[];
  notes: string[];
}

/** Pins an installation's SIDs and names into the site; conflicts are returned, not thrown. */
export function importInstallation(site: Site, state0: TranslationState, inst: InstallationTable): ImportOutcome {
  const conflicts = [...inst.conflicts];
  const notes = [...inst.notes];
  const summary: string[] = [];
  const before = tableOf(site, state0);
  let pins = state0.pins.map((p) => ({ ...p }));
  let kaspersky = [...state0.kaspersky];
  const custom = state0.custom.map((c) => ({ ...c }));
  let retired = [...state0.retired];
  const importedCats = new Set(inst.categories.map((c) => c.category));
  for (const c of inst.categories) {
    const pinIdx = pins.findIndex((p) => p.category.toLowerCase() === c.category.toLowerCase());
    const pin = pinIdx >= 0 ? pins[pinIdx] : undefined;
    if (pin?.sid !== undefined && pin.sid !== c.sid) {
      conflicts.push(`"${c.category}": the site pins SID ${pin.sid} (siems.alienvault.translations[${pinIdx}]) but the installation uses ${c.sid}; remove or change that pin first`);
      continue;
    }
    const other = pins.find((p) => p.sid === c.sid && p.category.toLowerCase() !== c.category.toLowerCase());
    if (other) {
      if (importedCats.has(other.category)) continue; // reported for that category
      conflicts.push(`SID ${c.sid}: the installation gives it to "${c.category}" but the site pins it to "${other.category}"; change that pin first`);
      continue;
    }
    if (retired.includes(c.sid)) {
      notes.push(`SID ${c.sid} was retired in the site but the installation uses it for "${c.category}"; it is taken back into use`);
      retired = retired.filter((s) => s !== c.sid);
    }
    const defaultName = categoryTitle(c.category, custom.find((x) => x.name === c.category)?.title);
    const name = c.name !== undefined && c.name !== (pin?.name ?? defaultName) ? c.name : pin?.name;
    if (pin?.name !== undefined && c.name !== undefined && pin.name !== c.name) notes.push(`"${c.category}": the site's name ${JSON.stringify(pin.name)} is replaced by the installation's ${JSON.stringify(c.name)}`);
    const newPin: TranslationOption = name !== undefined && name !== defaultName ? { category: pin?.category ?? c.category, sid: c.sid, name } : { category: pin?.category ?? c.category, sid: c.sid };
    if (pin) pins[pinIdx] = newPin;
    else pins.push(newPin);
    const known = before.categories.find((r) => r.category.toLowerCase() === c.category.toLowerCase());
    if (!known) {
      if (c.kaspersky) kaspersky = [...kaspersky, c.category];
      else custom.push({ name: c.category });
      summary.push(`add "${c.category}" with SID ${c.sid}${name ? ` named ${JSON.stringify(EVENT_NAME_PREFIX + name)}` : ''}`);
    } else if (known.sid !== c.sid || known.name !== EVENT_NAME_PREFIX + (name ?? defaultName)) {
      summary.push(`"${c.category}": SID ${known.sid} → ${c.sid}${known.name !== EVENT_NAME_PREFIX + (name ?? defaultName) ? `, name ${JSON.stringify(known.name)} → ${JSON.stringify(EVENT_NAME_PREFIX + (name ?? defaultName))}` : ''}`);
    }
  }
  pins = pins.filter((p, i, all) => all.findIndex((q) => q.category === p.category) === i);
  let state: TranslationState = { kaspersky, custom, pins, retired };
  const problems = translationProblems(state.pins);
  for (const p of problems) conflicts.push(`siems.alienvault.translations[${p.index}].${p.field}: ${p.message}`);
  if (conflicts.length > 0) return { state: state0, summary, touchedSids: [], conflicts, notes };
  state = pinAll(site, state);
  const after = tableOf(site, state);
  const touched = new Set<number>();
  for (const r of after.categories) {
    const old = before.categories.find((x) => x.category === r.category);
    if (!old || old.sid !== r.sid || old.name !== r.name) touched.add(r.sid);
    if (old && old.sid !== r.sid && !importedCats.has(r.category)) {
      notes.push(`"${r.category}" moves from SID ${old.sid} to ${r.sid}: the installation uses ${old.sid} for another category`);
      summary.push(`"${r.category}": SID ${old.sid} → ${r.sid}`);
    }
  }
  const unchanged = JSON.stringify(state) === JSON.stringify(state0);
  return { state, summary: unchanged ? ['the site already has the installation\'s SIDs and names'] : summary, touchedSids: [...touched], conflicts, notes, unchanged };
}
