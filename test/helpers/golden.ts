/**
 * Golden-file comparison with a readable unified diff on failure. Set UPDATE_GOLDEN=1 to
 * rewrite the expected files (then review the change with `git diff` before committing).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { gunzipSync } from 'node:zlib';
import { sha256 } from '../../src/kernel/hash.js';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out;
}

/** Returns a list of differences (empty when equal); `actual` maps bundle path → text. */
export function compareGolden(actual: Record<string, string>, goldenDir: string): string[] {
  const problems: string[] = [];
  const expectedPaths = listFiles(goldenDir);
  const actualPaths = Object.keys(actual).sort();
  for (const p of expectedPaths) if (!(p in actual)) problems.push(`missing file: ${p} (expected by ${goldenDir})`);
  for (const p of actualPaths) {
    const goldenPath = join(goldenDir, p);
    if (!existsSync(goldenPath)) {
      problems.push(`unexpected file: ${p} (not in ${goldenDir})`);
      continue;
    }
    const expected = readFileSync(goldenPath, 'utf8');
    if (expected !== actual[p]) problems.push(createTwoFilesPatch(`golden/${p}`, `generated/${p}`, expected, actual[p], '', '', { context: 2 }));
  }
  return problems;
}

export function writeGolden(actual: Record<string, string>, goldenDir: string): void {
  rmSync(goldenDir, { recursive: true, force: true });
  for (const [p, text] of Object.entries(actual)) {
    const dest = join(goldenDir, p);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, text);
  }
}

/** Throws with the diffs when `actual` differs from the golden folder (or rewrites it with UPDATE_GOLDEN=1). */
export function expectGolden(actual: Record<string, string>, goldenDir: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    writeGolden(actual, goldenDir);
    return;
  }
  const problems = compareGolden(actual, goldenDir);
  if (problems.length > 0) {
    throw new Error(`generated files differ from ${goldenDir} (run with UPDATE_GOLDEN=1 to accept, then review git diff):\n${problems.join('\n')}`);
  }
}

/** Entries of a .tar.gz: type, mode, size, sha256 and path of each (read from the ustar headers). */
export function tarListing(gz: Buffer): string {
  const tar = gunzipSync(gz);
  const lines: string[] = [];
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) =>
      h
        .subarray(a, a + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = (str(345, 155) ? `${str(345, 155)}/` : '') + str(0, 100);
    const size = parseInt(str(124, 12), 8);
    const mode = parseInt(str(100, 8).trim(), 8).toString(8).padStart(4, '0');
    const body = tar.subarray(off + 512, off + 512 + size);
    lines.push(`${str(156, 1) === '5' ? 'd' : 'f'} ${mode} ${String(size).padStart(6)} ${str(156, 1) === '5' ? '-'.repeat(64) : sha256(body)} ${name}`);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return lines.join('\n') + '\n';
}
