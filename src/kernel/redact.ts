/**
 * Redaction by structure — the one implementation behind deploy `--diff` and `--json`,
 * `cybertrace patch` and error messages. It hides:
 * - values of keys whose name denotes a secret (`key = v`, `key: v`, `"key": "v"`, `key="v"`,
 *   YAML block scalars and nested blocks under such a key, JSON objects/arrays as values);
 * - whole bodies of XML elements with such a name, across lines (`<Password>`, `<ApiKey>`,
 *   `<Credentials>…</Credentials>`), and attributes with such a name;
 * - URL userinfo passwords (`scheme://user:PASS@host`), `--user name:PASS`, PEM block bodies,
 *   SQL `IDENTIFIED BY '…'` / `PASSWORD('…')`;
 * - options: `--password=X`, `--password X`, MySQL's `-pX`; config lines `Password X`,
 *   `set $db_password "X"` (a secret name first on its line, then the value);
 * - .NET-style settings `<add key="Password" value="X"/>` (the value attribute of an element whose
 *   key/name attribute is a secret name);
 * - every occurrence of a known secret value (the environment variables the site names, and every
 *   secret this run read, was typed or sent — src/kernel/run-secrets.ts — in its echoed shapes).
 *
 * A name denotes a secret when one of its words (split at `_ - .`, digits and camelCase) is a
 * secret word (password, passwd, pass, pwd, pw, passphrase, secret, token, apikey, credential(s),
 * auth, authorization …) or `key` in a longer name not qualified as a public one (host key,
 * public key, Splunk's SOURCE_KEY / DEST_KEY, primary key …). An XML attribute `token` is Splunk
 * Simple XML's input name and is kept. Redaction keeps every line break, so a redacted
 * text has the same lines as the original (diffs are computed on the original and shown
 * redacted line by line).
 */
import { structuredPatch } from 'diff';
import { runSecrets } from './run-secrets.js';

export const REDACTED = '********';

const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pass',
  'pwd',
  'pw',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'apikeys',
  'credential',
  'credentials',
  'creds',
  'auth',
  'authorization',
  'privatekey',
  'cookie',
]);
/** `key` after one of these words names something public (Splunk SOURCE_KEY/DEST_KEY, SSH host keys, SQL keys). */
const PUBLIC_KEY_QUALIFIERS = new Set([
  'host',
  'public',
  'pub',
  'source',
  'dest',
  'primary',
  'foreign',
  'unique',
  'sort',
  'partition',
  'lookup',
  'group',
  'index',
  'field',
  'cef',
  'hot',
  'known',
]);

function nameWords(name: string): string[] {
  return (name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g) ?? []).map((w) => w.toLowerCase());
}

/**
 * Whether a key, option, attribute or element name denotes a secret. `key` counts only as part of
 * a longer name (api_key, privateKey, sslKey): alone it is the generic "key" of key=value text and
 * code far more often than a secret.
 */
export function isSecretName(name: string): boolean {
  const words = nameWords(name);
  return words.some((w, i) => SECRET_WORDS.has(w) || ((w === 'key' || w === 'keys') && words.length > 1 && !PUBLIC_KEY_QUALIFIERS.has(words[i - 1] ?? '')));
}

type Span = [start: number, end: number];

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

function indentOf(text: string, lineStart: number): number {
  let i = lineStart;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i - lineStart;
}

/** End of a quoted string starting at `from` (the opening quote); backslash escapes are skipped. */
function quotedEnd(text: string, from: number): number {
  const q = text[from];
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\' && q === '"') i++;
    else if (text[i] === q) return i;
  }
  return text.length;
}

/** End of a bracketed JSON/YAML-flow value starting at `from`, quotes respected. */
function bracketEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") i = quotedEnd(text, i);
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return text.length;
}

/** Lines after `lineStart`'s line that are more indented than it (a YAML block belonging to the key). */
function blockEnd(text: string, lineStart: number): number {
  const base = indentOf(text, lineStart);
  let end = lineEnd(text, lineStart);
  let next = end + 1;
  while (next < text.length) {
    const e = lineEnd(text, next);
    const line = text.slice(next, e);
    if (line.trim() !== '' && indentOf(text, next) <= base) break;
    end = e;
    next = e + 1;
  }
  return end;
}

// The character before the name is looked at, not consumed, so `stdout: db_password=x` finds both names.
const KEY_VALUE = /(?<=^|[^\w.$-])(["']?)([A-Za-z_][\w.-]*)\1[ \t]*(=|:(?!\/\/|:))[ \t]*/gm;

/** `Password X` at the start of a config line (not in messages, where "password for t1" is wording). */
function nameSpaceValueSpans(text: string, spans: Span[]): void {
  for (const m of text.matchAll(NAME_SPACE_VALUE)) {
    if (!isSecretName(m[1]) || m[2] === '') continue;
    const v = m[2];
    const start = m.index + m[0].indexOf(v, m[0].indexOf(m[1]) + m[1].length);
    const quoted = v.startsWith('"') || v.startsWith("'");
    spans.push(quoted ? [start + 1, start + v.length - 1] : [start, start + v.length]);
  }
}

function keyValueSpans(text: string, spans: Span[], prose: boolean): void {
  for (const m of text.matchAll(KEY_VALUE)) {
    const name = m[2];
    if (!isSecretName(name)) continue;
    // In sentences "password: set VARIABLE" is wording, not a value; only `name=value` and HTTP authorization headers count there.
    if (prose && m[3] === ':' && !/^(proxy-)?authorization$/i.test(name)) continue;
    // Splunk Simple XML names form inputs with a token attribute (<input token="time">): a name, not a secret.
    if (name === 'token' && insideXmlTag(text, m.index)) continue;
    const start = m.index + m[0].length;
    const lineStart = text.lastIndexOf('\n', m.index - 1) + 1;
    const eol = lineEnd(text, start);
    const c = text[start];
    if (c === '"' || c === "'") {
      spans.push([start + 1, quotedEnd(text, start)]);
    } else if (c === '{' || c === '[') {
      spans.push([start + 1, bracketEnd(text, start)]);
    } else if (start === eol || /^[|>][-+0-9]*[ \t]*$/.test(text.slice(start, eol))) {
      // YAML: a block scalar or a nested block under the key. (An ini "key =" with nothing after it has no block.)
      if (m[3] === ':') spans.push([eol, blockEnd(text, lineStart)]);
    } else {
      // Unquoted: to the end of the line; a quote before the name (`-H "Authorization: Bearer x"`) ends it there.
      const opener = text[m.index - 1];
      let end = eol;
      if ((opener === '"' || opener === "'") && m[1] === '') {
        const close = text.indexOf(opener, start);
        if (close >= 0 && close < eol) end = close;
      }
      while (end > start && /[\s,;]/.test(text[end - 1])) end--;
      spans.push([start, end]);
    }
  }
}

function insideXmlTag(text: string, at: number): boolean {
  const open = text.lastIndexOf('<', at);
  return open >= 0 && text.lastIndexOf('>', at) < open && /^<[A-Za-z]/.test(text.slice(open, open + 2));
}

const XML_OPEN = /<([A-Za-z_][\w:.-]*)((?:\s[^<>]*?)?)(\/?)>/g;
const XML_ATTR = /([A-Za-z_][\w:.-]*)\s*=\s*(["'])/g;

function xmlSpans(text: string, spans: Span[]): void {
  for (const m of text.matchAll(XML_OPEN)) {
    const name = m[1];
    for (const a of (m[2] ?? '').matchAll(XML_ATTR)) {
      if (!isSecretName(a[1]) || a[1] === 'token') continue;
      const q = m.index + 1 + name.length + a.index + a[0].length - 1;
      spans.push([q + 1, quotedEnd(text, q)]);
    }
    if (m[3] === '/' || !isSecretName(name.replace(/^.*:/, ''))) continue;
    const bodyStart = m.index + m[0].length;
    const close = new RegExp(`</${name.replace(/[.-]/g, '\\$&')}\\s*>`, 'g');
    close.lastIndex = bodyStart;
    const c = close.exec(text);
    if (c) spans.push([bodyStart, c.index]);
  }
}

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
// The password runs to the last "@" before the host: an unescaped "@" in it is still the password.
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>]*:([^\s/"'<>]+)@/gi;
/** `--password=X`, `--db-token X`: an option with a secret name and its value. */
const OPTION = /(?<=^|[\s"'])--?([A-Za-z][\w-]*)(?:=|[ \t]+)(?!-)("[^"\n]*"|'[^'\n]*'|[^\s"']+)/gm;
/** MySQL clients take the password glued to -p. */
const MYSQL_P = /\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mariadb-admin)\b[^\n]*?(?<=\s)-p([^\s'"-][^\s'"]*|'[^'\n]*'|"[^"\n]*")/g;
/** A config line that starts with a secret name and gives the value after spaces (`Password X`, `set $db_password "X"`). */
const NAME_SPACE_VALUE = /^[ \t]*(?:set[ \t]+)?\$?([A-Za-z_][\w.-]*)[ \t]+(?![=:])("[^"\n]*"|'[^'\n]*'|[^\n]*?)[ \t;]*$/gm;
/** `<add key="Password" value="X"/>`: the element's key or name attribute says what its value is. */
const KEYED_VALUE = /<[A-Za-z_][\w:.-]*\s[^<>]*?\b(?:key|name)\s*=\s*(["'])([^"'<>]*)\1[^<>]*?\bvalue\s*=\s*(["'])/g;
const VALUE_KEYED = /<[A-Za-z_][\w:.-]*\s[^<>]*?\bvalue\s*=\s*(["'])([^"'<>]*)\1[^<>]*?\b(?:key|name)\s*=\s*(["'])([^"'<>]*)\3/g;
/** `curl --user name:PASS`, `-u name:PASS`. */
const USER_OPTION = /(?:^|\s)(?:--user|-u)[ =]+[^\s:'"]+:([^\s'"]+)/g;
const SQL_SECRET = /\bIDENTIFIED\s+(?:WITH\s+\S+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?'((?:[^'\\]|\\.|'')*)'|\bPASSWORD\s*\(\s*'((?:[^'\\]|\\.|'')*)'\s*\)/gi;

function patternSpans(text: string, spans: Span[]): void {
  for (const m of text.matchAll(PEM)) {
    const start = m.index + m[0].indexOf(m[2], 11 + m[1].length);
    spans.push([start, start + m[2].length]);
  }
  for (const m of text.matchAll(URL_PASSWORD)) {
    const end = m.index + m[0].length - 1;
    spans.push([end - m[1].length, end]);
  }
  for (const m of text.matchAll(OPTION)) {
    if (!isSecretName(m[1])) continue;
    const v = m[2];
    const end = m.index + m[0].length;
    const quoted = v.startsWith('"') || v.startsWith("'");
    spans.push(quoted ? [end - v.length + 1, end - 1] : [end - v.length, end]);
  }
  for (const m of text.matchAll(MYSQL_P)) {
    const v = m[1];
    const end = m.index + m[0].length;
    const quoted = v.startsWith('"') || v.startsWith("'");
    spans.push(quoted ? [end - v.length + 1, end - 1] : [end - v.length, end]);
  }
  for (const m of text.matchAll(KEYED_VALUE)) {
    if (!isSecretName(m[2])) continue;
    const q = m.index + m[0].length - 1;
    spans.push([q + 1, quotedEnd(text, q)]);
  }
  for (const m of text.matchAll(VALUE_KEYED)) {
    if (!isSecretName(m[4])) continue;
    const start = m.index + m[0].indexOf(`${m[1]}${m[2]}${m[1]}`) + 1;
    spans.push([start, start + m[2].length]);
  }
  for (const m of text.matchAll(USER_OPTION)) {
    const end = m.index + m[0].length;
    spans.push([end - m[1].length, end]);
  }
  for (const m of text.matchAll(SQL_SECRET)) {
    const value = m[1] ?? m[2];
    const start = m.index + m[0].lastIndexOf(`'${value}'`) + 1;
    spans.push([start, start + value.length]);
  }
}

function knownValueSpans(text: string, secrets: readonly string[], spans: Span[]): void {
  for (const s of secrets) {
    // Very short values would mask ordinary text everywhere; the rules above still catch them in place.
    if (s.length < 3) continue;
    for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + s.length)) spans.push([i, i + s.length]);
  }
}

/** Masks each line's part of a span, keeping line breaks and indentation. */
function mask(part: string): string {
  return part
    .split('\n')
    .map((seg) => (seg.trim() === '' ? seg : seg.match(/^\s*/)![0] + REDACTED))
    .join('\n');
}

/**
 * `text` with every secret hidden; same line breaks as the input. `secrets`: values to hide
 * wherever they appear. `prose`: the text is a message, where "name: text" is wording (only
 * `name=value`, Authorization headers and the other structures are redacted).
 */
export function redactText(text: string, secrets: readonly string[] = [], opts: { prose?: boolean; knownOnly?: boolean } = {}): string {
  const spans: Span[] = [];
  knownValueSpans(text, secrets, spans);
  knownValueSpans(text, runSecrets(), spans);
  // knownOnly: only the given values (a deploy hides the passwords it was handed in everything it reports).
  if (!opts.knownOnly) {
    patternSpans(text, spans);
    xmlSpans(text, spans);
    keyValueSpans(text, spans, opts.prose ?? false);
    if (!opts.prose) nameSpaceValueSpans(text, spans);
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let at = 0;
  for (const [s, e] of spans) {
    if (e <= at) continue;
    const from = Math.max(s, at);
    out += text.slice(at, from) + mask(text.slice(from, e));
    at = e;
  }
  return out + text.slice(at);
}

/** A parsed JSON value with every string redacted, and every value under a secret-named key replaced. */
export function redactJson<T>(value: T, secrets: readonly string[] = []): T {
  const walk = (v: unknown, underSecret: boolean): unknown => {
    if (underSecret && ((typeof v === 'string' && v !== '') || typeof v === 'number')) return REDACTED;
    if (typeof v === 'string') return redactText(v, secrets);
    if (Array.isArray(v)) return v.map((x) => walk(x, underSecret));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, underSecret || isSecretName(k))]));
    return v;
  };
  return walk(value, false) as T;
}

/**
 * A unified diff before → after whose lines are shown redacted. The diff is computed on the real
 * texts, so a changed secret still shows as a changed line; each line is then taken from the
 * redacted text (same line numbers).
 */
export function redactedUnifiedDiff(oldName: string, newName: string, before: string, after: string, secrets: readonly string[] = [], context = 3): string {
  const patch = structuredPatch(oldName, newName, before, after, undefined, undefined, { context });
  if (patch.hunks.length === 0) return '';
  const oldLines = redactText(before, secrets).split('\n');
  const newLines = redactText(after, secrets).split('\n');
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const h of patch.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    let o = h.oldStart - 1;
    let n = h.newStart - 1;
    for (const l of h.lines) {
      const tag = l[0];
      if (tag === ' ') {
        out.push(` ${newLines[n++]}`);
        o++;
      } else if (tag === '-') out.push(`-${oldLines[o++]}`);
      else if (tag === '+') out.push(`+${newLines[n++]}`);
      else out.push(l);
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Values of environment variables that hold secrets: the names given, and any whose name ENDS in
 * a secret word (DB_PASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY) — not SSH_AUTH_SOCK or
 * KEY_TYPE, whose values are ordinary words that would then be masked everywhere.
 */
export function secretEnvValues(env: NodeJS.ProcessEnv, names: readonly string[] = []): string[] {
  const values = new Set<string>();
  for (const [k, v] of Object.entries(env)) if (v && (names.includes(k) || (!SHELL_FOLDERS.has(k) && endsSecret(nameWords(k))))) values.add(v);
  return [...values];
}

/** The shell's current and previous folder: "pwd" is also short for password, but these hold paths every report prints. */
const SHELL_FOLDERS = new Set(['PWD', 'OLDPWD']);

function endsSecret(words: string[]): boolean {
  const last = words[words.length - 1];
  if (last === undefined) return false;
  return SECRET_WORDS.has(last) || ((last === 'key' || last === 'keys') && words.length > 1 && !PUBLIC_KEY_QUALIFIERS.has(words[words.length - 2]));
}
