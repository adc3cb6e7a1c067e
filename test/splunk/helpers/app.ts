/** Test helpers: the Splunk bundle written to a temporary folder, and python3 run asynchronously (the test server shares this process). */
import { mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Bundle } from '../../../src/bundle/build.js';
import { bundleFor, exampleSite, siteFromYaml } from '../../helpers/bundles.js';
import type { Site } from '../../../src/model/site.js';
import { startCyberTraceServer, type CyberTraceServerOptions } from '../../../src/cybertrace/server.js';

export const APP_ID = 'Kaspersky_CyberTrace_App_for_Splunk';

/** Writes every bundle file under a new temporary folder; returns it. */
export function writeBundle(b: Bundle): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-splunk-'));
  for (const f of b.files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    chmodSync(p, f.mode);
  }
  return dir;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: Buffer | string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A test CyberTrace server configured exactly like this bundle's CyberTrace side (its pinned FinishedEventFormat text included). */
export function serverFor(b: Bundle, feed: CyberTraceServerOptions['feed'], extra: Partial<CyberTraceServerOptions> = {}) {
  const finishedText = b.settings.output.finishedEventText;
  if (finishedText === undefined) throw new Error('the Splunk bundle must pin the FinishedEventFormat text');
  return startCyberTraceServer({
    regexps: b.settings.input.regexps,
    feed,
    eventFormat: b.settings.output.eventFormat,
    recordFieldContextFormat: b.settings.output.recordFieldContextFormat,
    actionableFieldContextFormat: b.settings.output.actionableFieldContextFormat,
    finishedEvent: () => finishedText,
    ...extra,
  });
}

export async function splunkBundle(site: Site = exampleSite()): Promise<Bundle> {
  return await bundleFor('splunk', site);
}

/** The distributed scheme: CyberTrace on another host, a heavy forwarder receiving its events. */
export function distributedBundle(): Promise<Bundle> {
  return splunkBundle(
    siteFromYaml(`name: dist
cybertrace:
  address: 10.1.2.3
siems:
  splunk:
    address: hf1.example.org
    scheme: distributed
    index: cybertrace
`),
  );
}
