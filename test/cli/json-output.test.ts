/**
 * Stable machine output: every --json carries "format": "ctconnect.<command>/<n>" and matches the
 * JSON Schema shipped in schemas/ (validated with Ajv, as a consumer of the output would).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { REPO, runCli } from '../helpers/cli.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { freePort } from '../helpers/net.js';
import { startCyberTraceServer, type CyberTraceServer } from '../../src/cybertrace/server.js';
import { demoFeed } from '../../src/verify/demo-feed.js';
import { exampleSite } from '../helpers/bundles.js';
import { getConnector } from '../../connectors/registry.js';
import { JSON_FORMATS } from '../../src/cli/json.js';

const SCHEMAS = join(REPO, 'schemas');
const ajv = new Ajv({ allErrors: true });
const schemaOf = (command: string) =>
  JSON.parse(readFileSync(join(SCHEMAS, `${command}.schema.json`), 'utf8')) as { properties: { format: { const: string } } };
const tested = new Set<string>();

function expectValid(command: string, stdout: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  const validate = ajv.compile(schemaOf(command));
  expect(validate(doc), ajv.errorsText(validate.errors)).toBe(true);
  expect(doc.format).toBe(`ctconnect.${command}/${JSON_FORMATS[command as keyof typeof JSON_FORMATS] ?? 1}`);
  // One naming style: camelCase keys all the way down.
  const keys = (v: unknown): string[] =>
    Array.isArray(v) ? v.flatMap(keys) : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : [];
  expect(keys(doc).filter((k) => !/^[a-z][A-Za-z0-9]*$/.test(k))).toEqual([]);
  tested.add(command);
  return doc;
}

const work = mkdtempSync(join(tmpdir(), 'ctc-json-'));
let cybertrace: CyberTraceServer;
let receiver: Server;
let receiverPort: number;

beforeAll(async () => {
  const site = exampleSite();
  const s = getConnector('fortisiem').cybertrace(site);
  cybertrace = await startCyberTraceServer({
    regexps: s.input.regexps,
    feed: demoFeed(),
    eventFormat: s.output.eventFormat,
    recordFieldContextFormat: s.output.recordFieldContextFormat,
    actionableFieldContextFormat: s.output.actionableFieldContextFormat,
  });
  receiver = createServer((sock) => sock.resume());
  receiverPort = await freePort();
  await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', r));
});

afterAll(async () => {
  await cybertrace?.close();
  await new Promise((r) => receiver?.close(r));
  rmSync(work, { recursive: true, force: true });
});

describe('--json output', () => {
  it('every schema in the package compiles and names its format', () => {
    const files = readdirSync(SCHEMAS).sort();
    expect(files).toEqual([...Object.keys(JSON_FORMATS), 'deploy'].map((c) => `${c}.schema.json`).sort());
    for (const f of files) expect(schemaOf(f.replace('.schema.json', '')).properties.format.const).toMatch(/^ctconnect\.[a-z-]+\/\d+$/);
  });

  it('validate (valid and invalid), list, generate, categories list', () => {
    expectValid('validate', runCli(['validate', '--json']).stdout);
    const bad = runCli(['validate', '--json', join(work, 'missing.yaml')]);
    expect(bad.code).toBe(1);
    expect(expectValid('validate', bad.stdout).valid).toBe(false);
    expectValid('list', runCli(['list', '--json']).stdout);
    expectValid('generate', runCli(['generate', '--all', '--json', '--out', join(work, 'out')]).stdout);
    expectValid('categories-list', runCli(['categories', 'list', '--json']).stdout);
  });

  it('verify and simulate, against servers on 127.0.0.1', async () => {
    const v = await runCliAsync(['verify', 'fortisiem', '--to', `127.0.0.1:${cybertrace.port}`, '--json']);
    expect(v.code, v.stderr).toBe(0);
    expectValid('verify', v.stdout);
    // Not a terminal: progress is one plain line per indicator on stderr, stdout holds only the JSON.
    expect(v.stderr).toMatch(/^\[http:\/\/fakess123\.nu\] OK \(KL_Malicious_URL\)$/m);
    const s = await runCliAsync(['simulate', 'fortisiem', '--to', `127.0.0.1:${receiverPort}`, '--count', '3', '--rate', '0', '--json']);
    expect(s.code, s.stderr).toBe(0);
    expectValid('simulate', s.stdout);
  });

  it('deploy, also when a target cannot be reached', async () => {
    const port = await freePort();
    const site = join(work, 'site.yaml');
    writeFileSync(
      site,
      `cybertrace:\n  address: 127.0.0.1\nsiems:\n  fortisiem:\n    address: 127.0.0.1\ntargets:\n  - { name: ct, host: 127.0.0.1, port: ${port}, user: root, roles: [cybertrace], connect_timeout_sec: 5 }\n`,
    );
    const d = await runCliAsync(['deploy', 'fortisiem', '--config', site, '--check', '--json']);
    expect(d.code).toBe(1);
    expect(expectValid('deploy', d.stdout).exitCode).toBe(1);
  });

  it('covers every command with --json', () => {
    expect([...tested].sort()).toEqual([...Object.keys(JSON_FORMATS), 'deploy'].sort());
  });
});
