/**
 * A CEF reader that applies the escaping rules of the CEF specification ("Implementing ArcSight
 * Common Event Format", character encoding section) and nothing else, the way independent CEF
 * parsers read: in the header `\|` and `\\` are the only escapes; in the extension `\=`, `\\`,
 * `\n` and `\r` are, `|` needs none, and every unescaped `=` ends a key — the key being the word
 * right before it, after a space. It never guesses: where a sender broke those rules (an
 * unescaped `=` inside a value, an unknown escape, a key written twice) it says so per key, so
 * a caller can tell a field that only a lenient reader (src/formats/cef.ts) gets right.
 * Written from the specification, independently of the lenient reader and of the writer.
 */

export interface StrictCefProblem {
  /** The extension key concerned; absent for the header. */
  key?: string;
  message: string;
}

export interface StrictCef {
  /** The seven header fields after `CEF:` (version first), unescaped. */
  header: string[];
  /** First occurrence of each key, unescaped as the specification says. */
  extension: Map<string, string>;
  problems: StrictCefProblem[];
}

const KEY_CHAR = /[A-Za-z0-9_]/;

/** Reads one CEF message (an optional syslog prefix before `CEF:` is skipped). */
export function readCefStrict(line: string): StrictCef {
  const problems: StrictCefProblem[] = [];
  const at = line.indexOf('CEF:');
  if (at < 0) return { header: [], extension: new Map(), problems: [{ message: 'no "CEF:" in the message' }] };
  const header: string[] = [];
  let field = '';
  let i = at + 4;
  for (; i < line.length && header.length < 7; i++) {
    const c = line[i];
    if (c === '\\') {
      const n = line[i + 1];
      if (n === '|' || n === '\\') {
        field += n;
        i++;
      } else {
        problems.push({ message: `header field ${header.length + 1}: "\\${n ?? ''}" is not a CEF header escape` });
        field += c;
      }
    } else if (c === '|') {
      header.push(field);
      field = '';
    } else field += c;
  }
  if (header.length < 7) {
    problems.push({ message: `the header has ${header.length} of 7 fields` });
    return { header, extension: new Map(), problems };
  }
  return { header, extension: readExtension(line.slice(i), problems), problems };
}

/** Positions of the `=` that are not escaped (an odd run of backslashes before one escapes it). */
function unescapedEquals(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === '=') out.push(i);
  }
  return out;
}

function readExtension(text: string, problems: StrictCefProblem[]): Map<string, string> {
  const values = new Map<string, string>();
  // Each unescaped `=` with a key word before it (at the start or after a space) starts a pair.
  const starts: Array<{ key: string; keyAt: number; valueAt: number }> = [];
  const stray: number[] = [];
  for (const eq of unescapedEquals(text)) {
    let k = eq;
    while (k > 0 && KEY_CHAR.test(text[k - 1])) k--;
    const key = text.slice(k, eq);
    if (key !== '' && (k === 0 || text[k - 1] === ' ' || /^ *$/.test(text.slice(0, k)))) starts.push({ key, keyAt: k, valueAt: eq + 1 });
    else stray.push(eq);
  }
  if (starts.length === 0) {
    if (text.trim() !== '') problems.push({ message: 'the extension has no key=value pair' });
    return values;
  }
  if (text.slice(0, starts[0].keyAt).trim() !== '')
    problems.push({ message: `text before the first key: ${JSON.stringify(text.slice(0, starts[0].keyAt).trim())}` });
  starts.forEach((s, n) => {
    const end = n + 1 < starts.length ? starts[n + 1].keyAt : text.length;
    // The space before the next key separates pairs; trailing spaces of the last value are no data either.
    const raw = text.slice(s.valueAt, end).replace(/ +$/, '');
    if (stray.some((eq) => eq >= s.valueAt && eq < end))
      problems.push({ key: s.key, message: `unescaped "=" inside the value of ${s.key} (CEF requires "\\=")` });
    const value = unescape(raw, s.key, problems);
    if (values.has(s.key)) problems.push({ key: s.key, message: `key ${s.key} appears more than once` });
    else values.set(s.key, value);
  });
  return values;
}

function unescape(raw: string, key: string, problems: StrictCefProblem[]): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = raw[i + 1];
    if (n === '\\' || n === '=') out += n;
    else if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else {
      problems.push({ key, message: `"\\${n ?? ''}" in the value of ${key} is not a CEF escape` });
      out += c;
      continue;
    }
    i++;
  }
  return out;
}
