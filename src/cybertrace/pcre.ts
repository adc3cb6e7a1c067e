/** Runs a CyberTrace regexp with a real PCRE engine (pcre2grep, UTF mode), as the service would. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalError, UserError } from '../kernel/errors.js';

/** Group-1 captures of `pattern` in `text`: every match for extract="all", the first for "first". */
export function pcreExtract(pattern: string, text: string, extract: 'all' | 'first' = 'all'): string[] {
  const r = spawnSync('pcre2grep', ['-u', '-o1', '-e', pattern], { input: text, encoding: 'utf8' });
  if (r.error) throw new UserError(`pcre2grep could not run: ${r.error.message} (install Debian's pcre2-utils)`);
  if (r.status === 1) return [];
  if (r.status !== 0) throw new UserError(`pcre2grep rejected the pattern ${JSON.stringify(pattern)}: ${r.stderr}`);
  const found = r.stdout.split('\n').slice(0, -1);
  return extract === 'first' ? found.slice(0, 1) : found;
}

/**
 * pcreExtract of every regexp for each of several one-line texts, in one process: a shell that
 * runs pcre2grep once per regexp over all the texts (`-n` numbers each capture with its line), so
 * a server answering many events at once costs one process start here, not one per regexp and
 * event. A text holding a line break or a NUL (pcre2grep would see other lines, or a binary file)
 * is run on its own, as pcreExtract does. Result: [regexp][text] → captures.
 */
export function pcreExtractAll(regexps: ReadonlyArray<{ pattern: string; extract: 'all' | 'first' }>, texts: string[]): string[][][] {
  const out = regexps.map(() => texts.map((): string[] => []));
  const alone = (t: string) => /[\n\u0000]/.test(t);
  texts.forEach((t, i) => alone(t) && regexps.forEach((r, k) => (out[k][i] = pcreExtract(r.pattern, t, r.extract))));
  const together = texts.flatMap((t, i) => (alone(t) ? [] : [i]));
  if (together.length === 0 || regexps.length === 0) return out;
  const dir = mkdtempSync(join(tmpdir(), 'ctc-pcre-'));
  try {
    const file = join(dir, 'texts');
    writeFileSync(file, together.map((i) => texts[i]).join('\n'));
    // A capture line starts with its line number, so the line after each run cannot be mistaken for one.
    const script = 'f=$1; shift; for p; do pcre2grep -u -n -o1 -e "$p" "$f"; echo "@@pcre2grep $?"; done';
    const r = spawnSync('sh', ['-c', script, 'sh', file, ...regexps.map((x) => x.pattern)], { encoding: 'utf8' });
    if (r.error) throw new UserError(`pcre2grep could not run: ${r.error.message} (install Debian's pcre2-utils)`);
    let k = 0;
    for (const line of r.stdout.split('\n').slice(0, -1)) {
      const end = /^@@pcre2grep (\d+)$/.exec(line);
      if (end) {
        if (end[1] !== '0' && end[1] !== '1') throw new UserError(`pcre2grep rejected the pattern ${JSON.stringify(regexps[k].pattern)}: ${r.stderr}`);
        k++;
        continue;
      }
      const colon = line.indexOf(':');
      const found = out[k][together[Number(line.slice(0, colon)) - 1]];
      if (regexps[k].extract === 'all' || found.length === 0) found.push(line.slice(colon + 1));
    }
    if (k !== regexps.length) throw new InternalError(`pcre2grep: the run was cut short (${r.stderr})`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether PCRE2 compiles the pattern at all. */
export function pcreCompiles(pattern: string): { ok: boolean; error: string } {
  const r = spawnSync('pcre2grep', ['-u', '-c', '-e', pattern], { input: '', encoding: 'utf8' });
  return { ok: r.status === 0 || r.status === 1, error: r.stderr };
}

/** What CyberTrace fills in for each regexp of its input settings: the first value each one extracts. */
export function extractLikeCyberTrace(regexps: Array<{ name: string; pattern: string; extract: 'all' | 'first' }>, event: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const r of regexps) {
    const found = pcreExtract(r.pattern, event, r.extract);
    if (found.length > 0) values[r.name] = found[0];
  }
  return values;
}

/** Before serving: pcre2grep is there and compiles every regexp, or a UserError says what to do. */
export function pcreCheck(regexps: ReadonlyArray<{ name: string; pattern: string }>): void {
  const probe = spawnSync('pcre2grep', ['-V'], { encoding: 'utf8' });
  if (probe.error)
    throw new UserError(
      'reading events needs pcre2grep, the PCRE engine CyberTrace regexps are written for: install it (Debian, Ubuntu: apt-get install pcre2-utils)',
    );
  for (const r of regexps) {
    const c = pcreCompiles(r.pattern);
    if (!c.ok) throw new UserError(`regexp ${r.name}: PCRE2 does not compile it (${c.error.trim()})`);
  }
}
