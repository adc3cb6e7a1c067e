import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareGolden, expectGolden } from './golden.js';

// The golden helper must really compare against the stored files (a helper that compares a file with itself passes everything).
describe('golden helper', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-'));
  mkdirSync(join(dir, 'a'));
  writeFileSync(join(dir, 'a', 'x.txt'), 'line 1\nline 2\n');

  it('passes on identical content', () => {
    expect(compareGolden({ 'a/x.txt': 'line 1\nline 2\n' }, dir)).toEqual([]);
  });

  it('fails with a unified diff when content differs', () => {
    const problems = compareGolden({ 'a/x.txt': 'line 1\nline two\n' }, dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('-line 2');
    expect(problems[0]).toContain('+line two');
    expect(() => expectGolden({ 'a/x.txt': 'other\n' }, dir)).toThrow(/differ/);
  });

  it('reports missing and unexpected files', () => {
    const problems = compareGolden({ 'b.txt': 'x' }, dir);
    expect(problems.some((p) => p.startsWith('missing file: a/x.txt'))).toBe(true);
    expect(problems.some((p) => p.startsWith('unexpected file: b.txt'))).toBe(true);
  });
});
