/** A site file in a fresh temp folder, and snapshots of that folder to prove "nothing changed". */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

export interface TempSite {
  dir: string;
  file: string;
}

/** A copy of the commented example site (it pins Custom_Feed to SID 1000). */
export function tempSite(): TempSite {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-categories-'));
  const file = join(dir, 'site.yaml');
  copyFileSync(join(REPO, 'examples', 'site.yaml'), file);
  return { dir, file };
}

/** Every file of the folder with its bytes (hex), so new, removed and changed files all show. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f)).toString('hex');
  return out;
}
