/**
 * Splunk .conf files: a writer that refuses values Splunk would read differently, and a small
 * parser (stanzas, `key = value`, comments, trailing-backslash continuation lines) used to check
 * generated files the way Splunk reads them.
 */
import { UserError } from '../../src/kernel/errors.js';

export interface ConfStanza {
  name: string;
  /** Comment lines written above the stanza (without `#`). */
  comment?: string[];
  entries: Array<[string, string | number | boolean]>;
}

export class ConfValueError extends UserError {}

/** A value Splunk reads back unchanged: one line, no surrounding whitespace, no trailing backslash (continuation). */
export function confValue(value: string): string {
  const bad = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(value);
  if (bad)
    throw new ConfValueError(
      `${JSON.stringify(value)}: control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} cannot be written to a .conf value`,
    );
  if (value !== value.trim()) throw new ConfValueError(`${JSON.stringify(value)}: leading or trailing whitespace is dropped by Splunk`);
  if (value.endsWith('\\')) throw new ConfValueError(`${JSON.stringify(value)}: a trailing backslash continues the value on the next line`);
  return value;
}

/** A stanza name: one line, no `]` (empty = `[]`, the app-wide stanza of .meta files). */
export function confStanzaName(name: string): string {
  if (/[\u0000-\u001f\u007f\]]/.test(name) || name !== name.trim()) throw new ConfValueError(`${JSON.stringify(name)} cannot be a stanza name`);
  return name;
}

export function renderConf(header: string[], stanzas: ConfStanza[]): string {
  const out: string[] = header.map((l) => `# ${l}`.trimEnd());
  for (const s of stanzas) {
    out.push('');
    for (const c of s.comment ?? []) out.push(`# ${c}`.trimEnd());
    out.push(`[${confStanzaName(s.name)}]`);
    for (const [k, v] of s.entries) {
      if (!/^[A-Za-z0-9_.:-]+$/.test(k)) throw new ConfValueError(`"${k}" cannot be a .conf key`);
      out.push(`${k} = ${confValue(String(v))}`);
    }
  }
  return out.join('\n') + '\n';
}

export interface ParsedConf {
  /** Stanza name → key → value, in file order ('default' for keys before the first stanza). */
  stanzas: Map<string, Map<string, string>>;
  /** Problems with `line N:` positions: duplicate keys or stanzas, lines that are neither. */
  problems: string[];
}

export function parseConf(text: string): ParsedConf {
  const stanzas = new Map<string, Map<string, string>>();
  const problems: string[] = [];
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  let current = 'default';
  const seenStanzaAt = new Map<string, number>();
  for (let i = 0; i < raw.length; i++) {
    const lineNo = i + 1;
    let line = raw[i];
    // A trailing backslash joins the next line; Splunk keeps the line break in the value.
    while (line.endsWith('\\') && i + 1 < raw.length) line = line.slice(0, -1) + '\n' + raw[++i];
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const st = /^\[(.*)\]$/.exec(t);
    if (st) {
      current = st[1];
      if (seenStanzaAt.has(current)) problems.push(`line ${lineNo}: stanza [${current}] already started at line ${seenStanzaAt.get(current)}`);
      else seenStanzaAt.set(current, lineNo);
      if (!stanzas.has(current)) stanzas.set(current, new Map());
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      problems.push(`line ${lineNo}: neither a stanza, a comment nor key = value: ${JSON.stringify(line)}`);
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!stanzas.has(current)) stanzas.set(current, new Map());
    const s = stanzas.get(current)!;
    if (s.has(key)) problems.push(`line ${lineNo}: key "${key}" appears twice in [${current}]`);
    s.set(key, value);
  }
  return { stanzas, problems };
}
