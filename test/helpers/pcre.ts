/** Runs a CyberTrace regexp with a real PCRE engine (pcre2grep, UTF mode), as the service would. */
import { spawnSync } from 'node:child_process';

/** Group-1 captures of `pattern` in `text`: every match for extract="all", the first for "first". */
export function pcreExtract(pattern: string, text: string, extract: 'all' | 'first' = 'all'): string[] {
  const r = spawnSync('pcre2grep', ['-u', '-o1', '-e', pattern], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`pcre2grep could not run: ${r.error.message} (install Debian's pcre2-utils)`);
  if (r.status === 1) return [];
  if (r.status !== 0) throw new Error(`pcre2grep rejected the pattern ${JSON.stringify(pattern)}: ${r.stderr}`);
  const found = r.stdout.split('\n').slice(0, -1);
  return extract === 'first' ? found.slice(0, 1) : found;
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
