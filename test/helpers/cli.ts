/** Runs the built CLI (dist/, built by `npm test` before vitest) as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const CLI = join(REPO, 'bin', 'ctconnect.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; cli?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [options.cli ?? CLI, ...args], {
    cwd: options.cwd ?? REPO,
    // A CTCONNECT_CONFIG of the developer's shell must not change what the tests see.
    env: { ...process.env, CTCONNECT_CONFIG: undefined, ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
