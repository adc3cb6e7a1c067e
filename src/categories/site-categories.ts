/**
 * The site's detection categories: which feed categories are in use and the title each one shows
 * in a SIEM (event names, alert names, dashboards). This module owns them and names no SIEM;
 * what a category means for one SIEM (AlienVault: a SID) comes from that connector's
 * `categories` hook (src/connector/capabilities.ts).
 *
 * Where a title lives (one place each): `categories.custom[].title` for a custom feed,
 * `categories.titles.<name>` for a Kaspersky category whose built-in title the site changes.
 */
import { closest, distance } from 'fastest-levenshtein';
import { UserError } from '../kernel/errors.js';
import type { CustomCategory, Site } from '../model/site.js';
import { KASPERSKY_CATEGORIES, categoryTitle } from '../cybertrace/categories.js';
import type { YamlChange } from '../kernel/yaml-edit.js';

/** The part of the site file `ctconnect categories` edits. */
export interface SiteCategories {
  kaspersky: string[];
  custom: CustomCategory[];
  /** Titles of Kaspersky categories that differ from the built-in ones. */
  titles: Record<string, string>;
}

export interface CategoryInfo {
  name: string;
  kind: 'kaspersky' | 'custom';
  title: string;
  /** 'site': the site file gives the title; 'built-in': the Kaspersky title or "<name> detected". */
  titleSource: 'site' | 'built-in';
}

/** An edit of the site's categories, as connectors see it. 'replace' = set as a whole (e.g. an import). */
export type CategoryEdit =
  | { kind: 'add'; category: string; title?: string }
  | { kind: 'rename'; category: string; title: string }
  | { kind: 'remove'; category: string }
  | { kind: 'replace' };

/** Category names as they can appear in configs: a letter, then letters, digits, "_", "-", "."; at most 128. */
export const CATEGORY_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
export const MAX_TITLE_LENGTH = 200;

export function isKasperskyCategory(name: string): boolean {
  return KASPERSKY_CATEGORIES.some((k) => k.name === name);
}

export function categoriesOf(site: Site): SiteCategories {
  return {
    kaspersky: [...site.categories.kaspersky],
    custom: site.categories.custom.map((c) => ({ ...c })),
    titles: { ...(site.categories.titles ?? {}) },
  };
}

/** Where each custom category is in its list, so that a title per category costs no search of the list (sites list 100,000). */
const customIndexes = new WeakMap<object, Map<string, number>>();

function customCategory(custom: SiteCategories['custom'], name: string): SiteCategories['custom'][number] | undefined {
  let index = customIndexes.get(custom);
  const i = index?.get(name);
  if (i !== undefined && custom[i]?.name === name) return custom[i];
  // Not indexed (the list changed since, or the name is not a custom one): search it, and index it again if it changed.
  const found = custom.find((c) => c.name === name);
  if (found || index?.size !== custom.length) {
    index = new Map();
    for (let j = custom.length - 1; j >= 0; j--) index.set(custom[j].name, j);
    customIndexes.set(custom, index);
  }
  return found;
}

/** The title a category shows in every SIEM. */
export function titleOf(cats: Pick<SiteCategories, 'custom' | 'titles'>, name: string): string {
  return categoryTitle(name, customCategory(cats.custom, name)?.title ?? cats.titles[name]);
}

/** The title of `name` in this site (see titleOf). */
export function siteCategoryTitle(site: Site, name: string): string {
  return titleOf({ custom: site.categories.custom, titles: site.categories.titles ?? {} }, name);
}

/** Every category in use, Kaspersky ones first, in the site's order. */
export function categoryList(cats: SiteCategories): CategoryInfo[] {
  const kaspersky = cats.kaspersky.map((name): CategoryInfo => ({
    name,
    kind: 'kaspersky',
    title: titleOf(cats, name),
    titleSource: cats.titles[name] ? 'site' : 'built-in',
  }));
  const custom = cats.custom.map((c): CategoryInfo => ({
    name: c.name,
    kind: 'custom',
    title: titleOf(cats, c.name),
    titleSource: c.title ? 'site' : 'built-in',
  }));
  return [...kaspersky, ...custom];
}

/** A control character in `text` as "U+000A", or undefined. */
export function controlCharacter(text: string): string | undefined {
  const m = /[\u0000-\u001f\u007f-\u009f]/u.exec(text);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/**
 * Bidirectional controls and zero-width characters: invisible, they make a title read otherwise
 * than it is stored (a reversed or hidden part) in every console that shows it.
 */
export const INVISIBLE_CHARACTERS = '\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';
const INVISIBLE = new RegExp(`[${INVISIBLE_CHARACTERS}]`, 'u');

/** A bidirectional-control or zero-width character in `text` as "U+202E", or undefined. */
export function invisibleCharacter(text: string): string | undefined {
  const m = INVISIBLE.exec(text);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/**
 * Why `title` cannot be a category title, or undefined. Titles land in Splunk .conf values (a
 * trailing "\" continues the line; outer spaces are dropped), SQL, CSV and Markdown; each
 * connector escapes them for its format and may refuse more (AlienVault: utf8 columns).
 */
export function titleProblem(title: string): string | undefined {
  if (title.length === 0) return 'must not be empty';
  const control = controlCharacter(title);
  if (control) return `contains a control character (${control})`;
  const invisible = invisibleCharacter(title);
  if (invisible) return `contains an invisible character (${invisible}, a bidirectional control or zero-width character)`;
  if (title.trim() !== title) return 'must not start or end with spaces';
  if (title.endsWith('\\')) return 'must not end in "\\" (a Splunk .conf value would continue on the next line)';
  const chars = [...title].length;
  if (chars > MAX_TITLE_LENGTH) return `is ${chars} characters long; at most ${MAX_TITLE_LENGTH}`;
  return undefined;
}

function checkTitle(title: string, what: string): void {
  const problem = titleProblem(title);
  if (problem) throw new UserError(`${what}: the title ${JSON.stringify(title)} ${problem}`);
}

/** The category of the site with this name (case-insensitively: feeds and SIEMs compare categories so), or undefined. */
export function findCategory(cats: SiteCategories, name: string): CategoryInfo | undefined {
  const all = categoryList(cats);
  return all.find((c) => c.name === name) ?? all.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

function unknownCategory(cats: SiteCategories, name: string, source: string): UserError {
  const names = categoryList(cats).map((c) => c.name);
  let hint = '';
  if (names.length > 0) {
    const best = closest(name, names);
    if (distance(name, best) <= Math.max(2, Math.floor(best.length / 3))) hint = ` (did you mean "${best}"?)`;
  }
  return new UserError(`${source}: category "${name}" is not one of the site's categories${hint}`, ['see `ctconnect categories list`']);
}

export interface CategoryEditResult {
  categories: SiteCategories;
  edit: CategoryEdit;
  summary: string[];
  /** Nothing to do (e.g. renaming to the current title). */
  unchanged?: boolean;
}

/**
 * `custom`: the user said the category is their own (`--custom`). Without it, a name close to a
 * Kaspersky one is refused: a typo would otherwise become a custom category whose SID, once
 * given, is retired forever.
 */
export function addCategory(cats: SiteCategories, source: string, category: string, title?: string, custom = false): CategoryEditResult {
  if (!CATEGORY_NAME.test(category)) {
    throw new UserError(
      `category ${JSON.stringify(category)}: must be the feed's category attribute: letters, digits, "_", "-", ".", starting with a letter (at most 128 characters)`,
    );
  }
  const existing = findCategory(cats, category);
  if (existing) {
    throw new UserError(
      `${source}: category "${category}" is already one of the site's categories as "${existing.name}" (title ${JSON.stringify(existing.title)})`,
      ['feeds and SIEMs compare categories case-insensitively; use `ctconnect categories rename` to change its title'],
    );
  }
  if (title !== undefined) checkTitle(title, '--title');
  const kaspersky = isKasperskyCategory(category);
  if (kaspersky && custom) throw new UserError(`category "${category}" is a Kaspersky category, not a custom one: add it without --custom`);
  if (!kaspersky && !custom) {
    const names = KASPERSKY_CATEGORIES.map((k) => k.name);
    const near = closest(
      category.toLowerCase(),
      names.map((n) => n.toLowerCase()),
    );
    const best = names.find((n) => n.toLowerCase() === near)!;
    const close = distance(category.toLowerCase(), near) <= 2;
    if (close || /^kl_/i.test(category)) {
      throw new UserError(`category "${category}" is not a Kaspersky category${close ? `; did you mean "${best}"?` : ' (their names start with KL_)'}`, [
        close
          ? `add "${best}" for the Kaspersky feed's category, or add --custom if "${category}" is your own feed's`
          : `add --custom if "${category}" is your own feed's category`,
      ]);
    }
  }
  const next: SiteCategories = kaspersky
    ? { ...cats, kaspersky: [...cats.kaspersky, category], titles: title !== undefined ? { ...cats.titles, [category]: title } : cats.titles }
    : { ...cats, custom: [...cats.custom, title !== undefined ? { name: category, title } : { name: category }] };
  return {
    categories: next,
    edit: { kind: 'add', category, title },
    summary: [`add ${kaspersky ? 'Kaspersky' : 'custom'} category "${category}", title ${JSON.stringify(titleOf(next, category))}`],
  };
}

export function renameCategory(cats: SiteCategories, source: string, category: string, title: string): CategoryEditResult {
  const found = findCategory(cats, category);
  if (!found) throw unknownCategory(cats, category, source);
  checkTitle(title, 'new title');
  const name = found.name;
  if (found.title === title) {
    return {
      categories: cats,
      edit: { kind: 'rename', category: name, title },
      summary: [`"${name}" already has the title ${JSON.stringify(title)}`],
      unchanged: true,
    };
  }
  let next: SiteCategories;
  if (found.kind === 'custom') {
    next = { ...cats, custom: cats.custom.map((c) => (c.name === name ? { ...c, title } : c)) };
  } else {
    // Back to the built-in title: the override goes, so the site says only what differs.
    const titles = { ...cats.titles };
    if (title === categoryTitle(name)) delete titles[name];
    else titles[name] = title;
    next = { ...cats, titles };
  }
  return {
    categories: next,
    edit: { kind: 'rename', category: name, title },
    summary: [`rename "${name}": ${JSON.stringify(found.title)} → ${JSON.stringify(title)}`],
  };
}

export function removeCategory(cats: SiteCategories, source: string, category: string): CategoryEditResult {
  const found = findCategory(cats, category);
  if (!found) throw unknownCategory(cats, category, source);
  const name = found.name;
  const titles = { ...cats.titles };
  delete titles[name];
  return {
    categories: { kaspersky: cats.kaspersky.filter((c) => c !== name), custom: cats.custom.filter((c) => c.name !== name), titles },
    edit: { kind: 'remove', category: name },
    summary: [`remove "${name}" from categories.${found.kind}`],
  };
}

/** The site file changes that turn the site's categories into `next`. */
export function categoryChanges(site: Site, next: SiteCategories): YamlChange[] {
  const now = categoriesOf(site);
  const changes: YamlChange[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(now.kaspersky, next.kaspersky)) changes.push({ path: ['categories', 'kaspersky'], value: next.kaspersky });
  if (!same(now.custom, next.custom)) changes.push({ path: ['categories', 'custom'], value: next.custom });
  if (!same(now.titles, next.titles)) changes.push({ path: ['categories', 'titles'], value: Object.keys(next.titles).length > 0 ? next.titles : undefined });
  return changes;
}

/** The site as it would be with `next` as its categories (other sections unchanged). */
export function withCategories(site: Site, next: SiteCategories): Site {
  return { ...site, categories: { kaspersky: next.kaspersky, custom: next.custom, titles: next.titles } };
}
