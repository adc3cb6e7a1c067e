/**
 * Reads an installation's existing kaspersky_cyberTrace.cfg (+ .sql) so its SIDs and event names
 * can be pinned into the site: `ctconnect categories import`.
 *
 * The [translation] section is read the way the ossim agent's ConfigParser reads it: section
 * names are case-sensitive, option names are lower-cased, `key=value` and `key: value`, full-line
 * `#`/`;` comments, inline comments after whitespace + `;`, indented continuation lines, and the
 * leading/trailing quotes the agent strips. The case of the key as written is kept for matching
 * it back to a category name. The .sql is tokenised (strings with '' and backslash escapes,
 * comments) and every INSERT/REPLACE into plugin_sid with a column list is read.
 */
import { KASPERSKY_CATEGORIES } from '../../src/connector/index.js';
import {
  DEFAULT_TRANSLATION_KEY,
  DEFAULT_TRANSLATION_WHY,
  EVENT_NAME_PREFIX,
  GENERIC_DETECTION_SID,
  PLUGIN_ID,
  SERVICE_EVENT_SID,
  sidRangeProblem,
} from './translations.js';
import { ReadError } from '../../src/kernel/errors.js';

export interface CfgTranslation {
  /** The key as written in the file. */
  key: string;
  /** The value after the agent's quote stripping. */
  value: string;
  line: number;
}

export interface CfgProblem {
  line: number;
  message: string;
}

export interface ParsedTranslationSection {
  entries: CfgTranslation[];
  problems: CfgProblem[];
  found: boolean;
}

/** The [translation] section of a plugin .cfg. Later duplicates are reported (ConfigParser's strict mode refuses them). */
export function parseTranslationSection(text: string): ParsedTranslationSection {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: CfgTranslation[] = [];
  const problems: CfgProblem[] = [];
  let section: string | undefined;
  let seenTranslation = 0;
  let current: CfgTranslation | undefined;
  const seenKeys = new Map<string, number>();
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*$/.test(raw) || /^\s*[#;]/.test(raw)) {
      current = undefined;
      return;
    }
    if (/^\s/.test(raw) && current) {
      // Continuation line: ConfigParser appends it to the previous value.
      current.value = `${current.value}\n${stripInlineComment(raw).trim()}`;
      return;
    }
    current = undefined;
    const header = /^\[([^\]]+)\]/.exec(raw);
    if (header) {
      section = header[1];
      if (section === 'translation' && ++seenTranslation > 1)
        problems.push({ line, message: 'a second [translation] section (ConfigParser refuses duplicate sections)' });
      return;
    }
    if (section !== 'translation') return;
    const m = /^([^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!m || m[1].trim() === '') {
      problems.push({ line, message: `not a "key=value" line: ${JSON.stringify(raw.trim())}` });
      return;
    }
    const key = m[1].trim();
    const value = stripQuotes(stripInlineComment(m[2]).trim());
    const lower = key.toLowerCase();
    if (seenKeys.has(lower)) {
      problems.push({ line, message: `"${key}" is already set on line ${seenKeys.get(lower)} (keys are compared case-insensitively)` });
      return;
    }
    seenKeys.set(lower, line);
    current = { key, value, line };
    entries.push(current);
  });
  return { entries, problems, found: seenTranslation > 0 };
}

function stripInlineComment(v: string): string {
  const m = /\s;/.exec(v);
  return m ? v.slice(0, m.index) : v;
}

/** The agent strips every leading and trailing quote character from values. */
function stripQuotes(v: string): string {
  return v.replace(/^["']+/, '').replace(/["']+$/, '');
}

// ------------------------------------------------------------------------------------ SQL

export interface SqlSidRow {
  pluginId: number;
  sid: number;
  name: string;
  /** Statement number (1-based), for messages. */
  statement: number;
}

type Token = { kind: 'word' | 'number' | 'string' | 'punct' | 'hex'; text: string; value: string };

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && /[\s]/.test(sql[i + 2] ?? ' '))) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new ReadError('unterminated /* comment');
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new ReadError('unterminated string');
        const d = sql[j];
        if (d === '\\') {
          const e = sql[j + 1];
          const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' };
          value += map[e] ?? e;
          j += 2;
        } else if (d === c && sql[j + 1] === c) {
          value += c;
          j += 2;
        } else if (d === c) {
          j++;
          break;
        } else {
          value += d;
          j++;
        }
      }
      out.push({ kind: 'string', text: sql.slice(i, j), value });
      i = j;
      continue;
    }
    if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new ReadError('unterminated `identifier`');
      out.push({ kind: 'word', text: sql.slice(i, end + 1), value: sql.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const hex = /^[xX]'([0-9A-Fa-f]*)'/.exec(sql.slice(i, i + 600));
    if (hex) {
      out.push({ kind: 'hex', text: hex[0], value: hex[1] });
      i += hex[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(sql.slice(i, i + 40));
    if (num && (c !== '-' || !/[\w)]/.test(out.length ? out[out.length - 1].text.slice(-1) : ''))) {
      out.push({ kind: 'number', text: num[0], value: num[0] });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_$@][\w$@.]*/.exec(sql.slice(i, i + 200));
    if (word) {
      out.push({ kind: 'word', text: word[0], value: word[0] });
      i += word[0].length;
      continue;
    }
    out.push({ kind: 'punct', text: c, value: c });
    i++;
  }
  return out;
}

/** Values of a parenthesised list starting at tokens[i] === '('; returns the values and the index after ')'. */
function readTuple(t: Token[], i: number): { values: Token[][]; next: number } {
  if (t[i]?.text !== '(') throw new ReadError(`expected "(" but found ${t[i] ? JSON.stringify(t[i].text) : 'the end'}`);
  const values: Token[][] = [[]];
  let depth = 0;
  for (let j = i + 1; j < t.length; j++) {
    const x = t[j];
    if (x.text === '(') depth++;
    if (x.text === ')') {
      if (depth === 0) return { values, next: j + 1 };
      depth--;
    }
    if (x.text === ',' && depth === 0) values.push([]);
    else values[values.length - 1].push(x);
  }
  throw new ReadError('unterminated "("');
}

function scalar(v: Token[]): string | number | null | undefined {
  if (v.length === 1 && v[0].kind === 'string') return v[0].value;
  if (v.length === 1 && v[0].kind === 'number') return Number(v[0].value);
  if (v.length === 1 && v[0].kind === 'word' && v[0].value.toUpperCase() === 'NULL') return null;
  // _utf8'…' / _utf8mb4'…' introducers
  if (v.length === 2 && v[0].kind === 'word' && v[0].value.startsWith('_') && v[1].kind === 'string') return v[1].value;
  if (v.length === 2 && v[0].kind === 'word' && v[0].value.startsWith('_') && v[1].kind === 'hex') return Buffer.from(v[1].value, 'hex').toString('utf8');
  if (v.length === 1 && v[0].kind === 'hex') return Buffer.from(v[0].value, 'hex').toString('utf8');
  return undefined;
}

/** Every plugin_sid row inserted by the SQL text, with problems for rows that cannot be read. */
export function parsePluginSidRows(sql: string): { rows: SqlSidRow[]; problems: string[] } {
  const rows: SqlSidRow[] = [];
  const problems: string[] = [];
  const t = tokenize(sql);
  let statement = 1;
  for (let i = 0; i < t.length; i++) {
    if (t[i].text === ';') {
      statement++;
      continue;
    }
    const w = t[i].value.toUpperCase();
    if (t[i].kind !== 'word' || (w !== 'INSERT' && w !== 'REPLACE')) continue;
    let j = i + 1;
    while (t[j] && t[j].kind === 'word' && ['IGNORE', 'INTO', 'LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY'].includes(t[j].value.toUpperCase())) j++;
    const table = t[j]?.value.split('.').pop()?.replace(/`/g, '');
    if (table?.toLowerCase() !== 'plugin_sid') continue;
    j++;
    if (t[j]?.text !== '(') {
      problems.push(`statement ${statement}: INSERT INTO plugin_sid without a column list; name the columns (plugin_id, sid, …, name, …)`);
      continue;
    }
    const cols = readTuple(t, j);
    const names = cols.values.map((v) => (v[0]?.value ?? '').toLowerCase());
    const at = (c: string) => names.indexOf(c);
    if (at('plugin_id') < 0 || at('sid') < 0 || at('name') < 0) {
      problems.push(`statement ${statement}: INSERT INTO plugin_sid lacks one of the columns plugin_id, sid, name`);
      continue;
    }
    j = cols.next;
    if (t[j]?.value.toUpperCase() !== 'VALUES' && t[j]?.value.toUpperCase() !== 'VALUE') {
      problems.push(`statement ${statement}: INSERT INTO plugin_sid without VALUES (INSERT … SELECT is not read)`);
      continue;
    }
    j++;
    for (;;) {
      const tuple = readTuple(t, j);
      const pluginId = scalar(tuple.values[at('plugin_id')] ?? []);
      const sid = scalar(tuple.values[at('sid')] ?? []);
      const name = scalar(tuple.values[at('name')] ?? []);
      if (typeof pluginId !== 'number' || typeof sid !== 'number' || typeof name !== 'string') {
        problems.push(
          `statement ${statement}: a plugin_sid row whose plugin_id, sid or name is not a plain value: (${tuple.values.map((v) => v.map((x) => x.text).join(' ')).join(', ')})`,
        );
      } else {
        rows.push({ pluginId, sid, name, statement });
      }
      j = tuple.next;
      if (t[j]?.text !== ',') break;
      j++;
    }
    i = j - 1;
  }
  return { rows, problems };
}

// ------------------------------------------------------------------------------------ import plan

export interface ImportedCategory {
  category: string;
  sid: number;
  /** Event name after the prefix, when the .sql names the SID. */
  name?: string;
  kaspersky: boolean;
}

export interface InstallationTable {
  categories: ImportedCategory[];
  /** Blocking problems: the installation cannot be represented as it is. */
  conflicts: string[];
  /** Things worth knowing that do not block the import. */
  notes: string[];
}

const CATEGORY_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/**
 * The installation's category → SID (and name) table, from the .cfg text and optionally the .sql
 * text. `knownCategories` are spellings to restore (ConfigParser lower-cases keys; the file as
 * written usually keeps the case, but a key may differ in case from the site's category).
 */
export function readInstallation(cfgText: string, cfgName: string, sqlText: string | undefined, sqlName: string, knownCategories: string[]): InstallationTable {
  const conflicts: string[] = [];
  const notes: string[] = [];
  const section = parseTranslationSection(cfgText);
  if (!section.found) conflicts.push(`${cfgName}: has no [translation] section`);
  for (const p of section.problems) conflicts.push(`${cfgName}:${p.line}: ${p.message}`);

  const spelling = new Map<string, string>();
  for (const c of [...KASPERSKY_CATEGORIES.map((k) => k.name), ...knownCategories]) spelling.set(c.toLowerCase(), c);

  let sqlNames = new Map<number, string>();
  if (sqlText !== undefined) {
    try {
      const parsed = parsePluginSidRows(sqlText);
      for (const p of parsed.problems) notes.push(`${sqlName}: ${p}`);
      const own = parsed.rows.filter((r) => r.pluginId === PLUGIN_ID);
      if (own.length === 0) conflicts.push(`${sqlName}: no plugin_sid rows for plugin ${PLUGIN_ID}`);
      sqlNames = new Map(own.map((r) => [r.sid, r.name]));
    } catch (e) {
      conflicts.push(`${sqlName}: cannot read the SQL: ${(e as Error).message}`);
    }
  }

  if (section.found && !section.entries.some((e) => e.key.toLowerCase() === DEFAULT_TRANSLATION_KEY.toLowerCase())) {
    conflicts.push(
      `${cfgName}: [translation] has no ${DEFAULT_TRANSLATION_KEY} line; ${DEFAULT_TRANSLATION_WHY}. Add the line ${DEFAULT_TRANSLATION_KEY}=${GENERIC_DETECTION_SID} (the generic detection event) to [translation] of ${cfgName} and import again; the plugin ctconnect generates always has it`,
    );
  }
  const categories: ImportedCategory[] = [];
  const bySid = new Map<number, string>();
  for (const e of section.entries) {
    const where = `${cfgName}:${e.line}`;
    if (!/^\d+$/.test(e.value)) {
      conflicts.push(`${where}: "${e.key}" maps to ${JSON.stringify(e.value)}, not a numeric SID`);
      continue;
    }
    const sid = Number(e.value);
    if (e.key.toLowerCase() === '_default_') {
      if (sid !== GENERIC_DETECTION_SID) {
        conflicts.push(
          `${where}: _DEFAULT_ is ${sid}; ctconnect keeps the generic detection event at SID ${GENERIC_DETECTION_SID}. Events already stored with SID ${sid} would keep their old name; change the line to _DEFAULT_=${GENERIC_DETECTION_SID} in ${cfgName} first if that is acceptable`,
        );
      }
      continue;
    }
    const category = spelling.get(e.key.toLowerCase()) ?? e.key;
    if (!CATEGORY_NAME.test(category)) {
      conflicts.push(`${where}: "${e.key}" cannot be written safely as a category (letters, digits, "_", "-", "." only, starting with a letter)`);
      continue;
    }
    if (sid === SERVICE_EVENT_SID || sid === GENERIC_DETECTION_SID) {
      conflicts.push(`${where}: "${category}" uses SID ${sid}, which ctconnect reserves for the ${sid === 1 ? 'service event' : 'generic detection event'}`);
      continue;
    }
    const range = sidRangeProblem(sid);
    if (range) {
      conflicts.push(`${where}: "${category}": SID ${range}`);
      continue;
    }
    if (bySid.has(sid)) {
      // Two categories sharing a SID is legal for the agent, but the table keeps one row per SID.
      conflicts.push(`${where}: "${category}" and "${bySid.get(sid)}" share SID ${sid}; give one of them another SID in ${cfgName} first`);
      continue;
    }
    bySid.set(sid, category);
    let name: string | undefined;
    const full = sqlNames.get(sid);
    if (full !== undefined) {
      if (full.startsWith(EVENT_NAME_PREFIX) && full.length > EVENT_NAME_PREFIX.length) name = full.slice(EVENT_NAME_PREFIX.length);
      else {
        notes.push(
          `${sqlName}: SID ${sid} is named ${JSON.stringify(full)}, without the prefix "${EVENT_NAME_PREFIX}"; it will be named "${EVENT_NAME_PREFIX}${full}"`,
        );
        name = full;
      }
    } else if (sqlText !== undefined) {
      notes.push(`${sqlName}: no plugin_sid row for SID ${sid} ("${category}"); it gets the default event name`);
    }
    categories.push({ category, sid, name, kaspersky: KASPERSKY_CATEGORIES.some((k) => k.name === category) });
  }
  for (const [sid, full] of sqlNames) {
    if (sid === SERVICE_EVENT_SID || sid === GENERIC_DETECTION_SID || bySid.has(sid)) continue;
    notes.push(`${sqlName}: SID ${sid} (${JSON.stringify(full)}) has no [translation] line in ${cfgName}; not imported (no category maps to it)`);
  }
  return { categories, conflicts, notes };
}
