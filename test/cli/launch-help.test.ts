/**
 * `ctconnect --help` is printed from the text the build saved, without loading the CLI, only where
 * that text is what the CLI itself would print: `--help` or `-h` alone, into a pipe or an
 * 80-column terminal. The saved text is checked against the CLI's own help.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP_TEXT, printBuiltHelp } from '../../src/cli/launch-help.js';

function stream(tty: boolean, columns?: number): NodeJS.WriteStream & { text: string } {
  const s = { isTTY: tty, columns, text: '', write: (b: Buffer | string) => ((s.text += b.toString()), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('the built top-level help', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-help-'));
  const file = join(dir, HELP_TEXT);
  writeFileSync(file, 'Usage: ctconnect\n');

  it('is printed for --help or -h alone, into a pipe or an 80-column terminal', () => {
    for (const [argv, out] of [
      [['node', 'ctconnect', '--help'], stream(false)],
      [['node', 'ctconnect', '-h'], stream(true, 80)],
    ] as const) {
      expect(printBuiltHelp(argv, file, out)).toBe(true);
      expect(out.text).toBe('Usage: ctconnect\n');
    }
  });

  it('is left to the CLI for any other command line, a terminal of another width, or no built text', () => {
    expect(printBuiltHelp(['node', 'ctconnect', 'generate', '--help'], file, stream(false))).toBe(false);
    expect(printBuiltHelp(['node', 'ctconnect', '--help', '-q'], file, stream(false))).toBe(false);
    expect(printBuiltHelp(['node', 'ctconnect'], file, stream(false))).toBe(false);
    expect(printBuiltHelp(['node', 'ctconnect', '--help'], file, stream(true, 132))).toBe(false);
    expect(printBuiltHelp(['node', 'ctconnect', '--help'], join(dir, 'none.txt'), stream(false))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the text the CLI writes itself', () => {
    const bin = join(process.cwd(), 'bin', 'ctconnect.js');
    const built = join(process.cwd(), 'dist', 'cli', HELP_TEXT);
    const saved = readFileSync(built, 'utf8');
    const fast = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    // Without the saved text, the launcher runs the CLI.
    renameSync(built, `${built}.aside`);
    try {
      const own = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
      expect(own).toBe(saved);
      expect(fast).toBe(saved);
    } finally {
      renameSync(`${built}.aside`, built);
    }
  });
});
