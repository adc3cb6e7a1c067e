/**
 * What an edit of the site's categories (src/categories/) means for the AlienVault category →
 * SID table: pure functions on `siems.alienvault.translations` (SID pins) and `retired_sids`.
 * The titles themselves are the site's; the event name is "Kaspersky CyberTrace - " + title.
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
import { categoriesOf, categoryTitle, type Site, type SiteCategories, titleOf, withCategories } from '../../src/connector/index.js';
import { InternalError, UserError } from '../../src/kernel/errors.js';
import type { InstallationTable } from './import.js';
import {
  DEFAULT_TRANSLATION_KEY,
  DEFAULT_TRANSLATION_WHY,
  EVENT_NAME_PREFIX,
  PLUGIN_ID,
  allocateSid,
  defaultKasperskySid,
  pinnedTranslations,
  retiredSids,
  sidRangeProblem,
  sidTable,
  tableSids,
  translationProblems,
  type SidTable,
  type TranslationOption,
} from './translations.js';

/** The keys of `siems.alienvault` an edit changes. */
export interface SidState {
  pins: TranslationOption[];
  retired: number[];
}

export interface SidOutcome {
  state: SidState;
  /** What the edit does to the table, one line each, for the plan. */
  summary: string[];
  /** SIDs whose plugin_sid row changes (for --db). */
  touchedSids: number[];
}

/** SIDs that exist elsewhere (the live database) and must not be handed out, with what uses them. */
export type ExternalSids = ReadonlyMap<number, string>;

export function sidStateOf(site: Site): SidState {
  return { pins: pinnedTranslations(site).map((p) => ({ ...p })), retired: [...retiredSids(site)] };
}

/** The site as it would be with these categories and SID state (for computing its table). */
export function siteWith(site: Site, cats: SiteCategories, state: SidState): Site {
  const av = { ...(site.siems.alienvault ?? {}), translations: state.pins, retired_sids: state.retired };
  return { ...withCategories(site, cats), siems: { ...site.siems, alienvault: av } };
}

export function tableOf(site: Site, state: SidState, cats: SiteCategories = categoriesOf(site)): SidTable {
  return sidTable(siteWith(site, cats, state), state.pins);
}

/** Why `name` is not a category the table can hold (the fallback key of [translation]), or undefined. */
export function reservedCategory(name: string, edit: 'add' | 'rename' | 'remove'): string | undefined {
  if (name.toLowerCase() !== DEFAULT_TRANSLATION_KEY.toLowerCase()) return undefined;
  return edit === 'add'
    ? `${DEFAULT_TRANSLATION_KEY} is the fallback of the [translation] section (the generic detection event, SID 2), not a category; it is always there, because ${DEFAULT_TRANSLATION_WHY}`
    : `${DEFAULT_TRANSLATION_KEY} is the generic detection event, SID 2, not a category: it cannot be renamed or removed, because ${DEFAULT_TRANSLATION_WHY}`;
}

/** Pins every row whose SID is not its Kaspersky default, so later edits cannot renumber it. */
export function pinAll(site: Site, state: SidState): SidState {
  const table = tableOf(site, state);
  const pins = state.pins.map((p) => ({ ...p }));
  const added: TranslationOption[] = [];
  // The first pin of each category, as a search from the start would find it: one pass, not one per row.
  const pinOf = new Map<string, TranslationOption>();
  for (const p of pins) if (!pinOf.has(p.category)) pinOf.set(p.category, p);
  for (const row of table.categories) {
    const pin = pinOf.get(row.category);
    if (pin) {
      if (pin.sid === undefined) pin.sid = row.sid;
    } else if (defaultKasperskySid(row.category) !== row.sid) {
      added.push({ category: row.category, sid: row.sid });
    }
  }
  added.sort((a, b) => a.sid! - b.sid!);
  return { ...state, pins: [...pins, ...added] };
}

/** Who uses `sid` already, or undefined. */
function sidOwner(table: SidTable, state: SidState, external: ExternalSids, sid: number): string | undefined {
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

function usedSids(table: SidTable, state: SidState, external: ExternalSids): Set<number> {
  const used = tableSids(table);
  for (const p of state.pins) if (p.sid !== undefined) used.add(p.sid);
  for (const s of state.retired) used.add(s);
  for (const s of external.keys()) used.add(s);
  return used;
}

function rowOf(table: SidTable, category: string) {
  const row = table.categories.find((r) => r.category === category);
  if (!row) throw new InternalError(`${category} is not in the SID table`);
  return row;
}

/** A category was added to the site (`after`): give it `sid`, its Kaspersky default or the next free SID. */
export function followAdd(before: Site, after: SiteCategories, category: string, sid0: number | undefined, external: ExternalSids = new Map()): SidOutcome {
  const state = pinAll(before, sidStateOf(before));
  const table = tableOf(before, state);
  let sid: number;
  if (sid0 !== undefined) {
    const range = sidRangeProblem(sid0);
    if (range) throw new UserError(`--sid: ${range}`);
    const owner = sidOwner(table, state, external, sid0);
    if (owner) throw new UserError(`--sid ${sid0}: already used by ${owner}; choose another SID or leave --sid out to get a free one`);
    sid = sid0;
  } else {
    const used = usedSids(table, state, external);
    const d = defaultKasperskySid(category);
    sid = d !== undefined && !used.has(d) ? d : allocateSid(used);
  }
  return {
    state: { ...state, pins: [...state.pins, { category, sid }] },
    summary: [`AlienVault: SID ${sid}, event name ${JSON.stringify(EVENT_NAME_PREFIX + titleOf(after, category))}`],
    touchedSids: [sid],
  };
}

/** A category's title changed: its SID stays, its plugin_sid row gets the new name. */
export function followRename(before: Site, after: SiteCategories, category: string): SidOutcome {
  const state = pinAll(before, sidStateOf(before));
  const row = rowOf(tableOf(before, state), category);
  return {
    state,
    summary: [`AlienVault: SID ${row.sid} is renamed ${JSON.stringify(EVENT_NAME_PREFIX + titleOf(after, category))}`],
    touchedSids: [row.sid],
  };
}

/** A category left the site: its SID is retired. */
export function followRemove(before: Site, category: string): SidOutcome {
  const state = pinAll(before, sidStateOf(before));
  const row = rowOf(tableOf(before, state), category);
  return {
    state: { pins: state.pins.filter((p) => p.category !== category), retired: state.retired.includes(row.sid) ? state.retired : [...state.retired, row.sid] },
    summary: [`AlienVault: SID ${row.sid} is retired and not handed out again (it was ${JSON.stringify(row.name)})`],
    touchedSids: [row.sid],
  };
}

export interface ImportOutcome extends SidOutcome {
  categories: SiteCategories;
  conflicts: string[];
  notes: string[];
  unchanged?: boolean;
}

/**
 * Takes an installation's SIDs (as pins) and event names (as the site's titles) into the site;
 * conflicts are returned, not thrown.
 */
export function importInstallation(site: Site, inst: InstallationTable): ImportOutcome {
  const cats0 = categoriesOf(site);
  const state0 = sidStateOf(site);
  const conflicts = [...inst.conflicts];
  const notes = [...inst.notes];
  const summary: string[] = [];
  const before = tableOf(site, state0);
  let pins = state0.pins.map((p) => ({ ...p }));
  const cats: SiteCategories = { kaspersky: [...cats0.kaspersky], custom: cats0.custom.map((c) => ({ ...c })), titles: { ...cats0.titles } };
  let retired = [...state0.retired];
  const importedCats = new Set(inst.categories.map((c) => c.category));
  // Look-ups kept beside the lists they index (one pass each, not a search per imported category):
  // the first pin of each category (case-insensitively) and the pins of each SID, in list order;
  // the earlier table's rows by category; the custom categories by name.
  const lower = (c: string) => c.toLowerCase();
  const pinIndexOf = new Map<string, number>();
  const pinsWithSid = new Map<number, number[]>();
  const indexPin = (i: number) => {
    const { category, sid } = pins[i];
    if (!pinIndexOf.has(lower(category))) pinIndexOf.set(lower(category), i);
    if (sid !== undefined)
      pinsWithSid.set(
        sid,
        [...(pinsWithSid.get(sid) ?? []), i].sort((a, b) => a - b),
      );
  };
  pins.forEach((_, i) => indexPin(i));
  const beforeRow = new Map<string, (typeof before.categories)[number]>();
  for (const r of before.categories) if (!beforeRow.has(lower(r.category))) beforeRow.set(lower(r.category), r);
  const customOf = new Map<string, (typeof cats.custom)[number]>();
  for (const c of cats.custom) if (!customOf.has(c.name)) customOf.set(c.name, c);
  const retiredSet = new Set(retired);
  // titleOf, through the index above: the custom list grows here, and titleOf would search it again each time.
  const titleIn = (category: string) => categoryTitle(category, customOf.get(category)?.title ?? cats.titles[category]);
  for (const c of inst.categories) {
    const pinIdx = pinIndexOf.get(lower(c.category)) ?? -1;
    const pin = pinIdx >= 0 ? pins[pinIdx] : undefined;
    if (pin?.sid !== undefined && pin.sid !== c.sid) {
      conflicts.push(
        `"${c.category}": the site pins SID ${pin.sid} (siems.alienvault.translations[${pinIdx}]) but the installation uses ${c.sid}; remove or change that pin first`,
      );
      continue;
    }
    const otherIdx = (pinsWithSid.get(c.sid) ?? []).find((i) => lower(pins[i].category) !== lower(c.category));
    const other = otherIdx === undefined ? undefined : pins[otherIdx];
    if (other) {
      if (importedCats.has(other.category)) continue; // reported for that category
      conflicts.push(`SID ${c.sid}: the installation gives it to "${c.category}" but the site pins it to "${other.category}"; change that pin first`);
      continue;
    }
    if (retiredSet.has(c.sid)) {
      notes.push(`SID ${c.sid} was retired in the site but the installation uses it for "${c.category}"; it is taken back into use`);
      retired = retired.filter((s) => s !== c.sid);
      retiredSet.delete(c.sid);
    }
    const known = beforeRow.get(lower(c.category));
    const category = known?.category ?? pin?.category ?? c.category;
    if (!known) {
      if (c.kaspersky) cats.kaspersky.push(category);
      else {
        const added = { name: category };
        cats.custom.push(added);
        if (!customOf.has(category)) customOf.set(category, added);
      }
    }
    // The installation's event name becomes the site's title (custom[].title or titles.<name>), shown by every SIEM.
    const oldTitle = titleIn(category);
    if (c.name !== undefined && c.name !== oldTitle) {
      if (known) notes.push(`"${category}": the site's title ${JSON.stringify(oldTitle)} is replaced by the installation's ${JSON.stringify(c.name)}`);
      const custom = customOf.get(category);
      if (custom) custom.title = c.name;
      else if (c.name === categoryTitle(category)) delete cats.titles[category];
      else cats.titles[category] = c.name;
    }
    const newPin: TranslationOption = { category, sid: c.sid };
    if (pin) {
      if (pin.sid !== undefined)
        pinsWithSid.set(
          pin.sid,
          (pinsWithSid.get(pin.sid) ?? []).filter((i) => i !== pinIdx),
        );
      pins[pinIdx] = newPin;
      indexPin(pinIdx);
    } else {
      pins.push(newPin);
      indexPin(pins.length - 1);
    }
    const name = EVENT_NAME_PREFIX + titleIn(category);
    if (!known) summary.push(`add "${category}" with SID ${c.sid} named ${JSON.stringify(name)}`);
    else if (known.sid !== c.sid || known.name !== name) {
      summary.push(`"${category}": SID ${known.sid} → ${c.sid}${known.name !== name ? `, name ${JSON.stringify(known.name)} → ${JSON.stringify(name)}` : ''}`);
    }
  }
  const seenPin = new Set<string>();
  pins = pins.filter((p) => !seenPin.has(p.category) && seenPin.add(p.category));
  for (const p of translationProblems(pins)) conflicts.push(`siems.alienvault.translations[${p.index}].${p.field}: ${p.message}`);
  if (conflicts.length > 0) return { categories: cats0, state: state0, summary, touchedSids: [], conflicts, notes };
  const next = withCategories(site, cats);
  const state = pinAll(siteWith(site, cats, { pins, retired }), { pins, retired });
  const after = tableOf(next, state, cats);
  const touched = new Set<number>();
  const beforeExact = new Map<string, (typeof before.categories)[number]>();
  for (const r of before.categories) if (!beforeExact.has(r.category)) beforeExact.set(r.category, r);
  for (const r of after.categories) {
    const old = beforeExact.get(r.category);
    if (!old || old.sid !== r.sid || old.name !== r.name) touched.add(r.sid);
    if (old && old.sid !== r.sid && !importedCats.has(r.category)) {
      notes.push(`"${r.category}" moves from SID ${old.sid} to ${r.sid}: the installation uses ${old.sid} for another category`);
      summary.push(`"${r.category}": SID ${old.sid} → ${r.sid}`);
    }
  }
  const unchanged = JSON.stringify({ cats, state }) === JSON.stringify({ cats: cats0, state: state0 });
  return {
    categories: cats,
    state,
    summary: unchanged ? ["the site already has the installation's SIDs and names"] : summary,
    touchedSids: [...touched],
    conflicts,
    notes,
    unchanged,
  };
}
