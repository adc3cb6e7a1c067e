/**
 * One CyberTrace 3.x/4.x has one OutputSettings: the patched file records which SIEM and site it
 * serves, and cybertrace patch and deploy refuse to switch it to another SIEM unless told to.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigPatchError, patchFeedServiceConfig, servesRecord } from '../../src/cybertrace/patch.js';
import { mergeBytes, MergeError } from '../../src/deploy/merge.js';
import { fortisiemSettings } from './fixtures/fortisiem-settings.js';
import { xmllint } from './fixtures/xml-read.js';
import { runCli } from '../helpers/cli.js';

const FIXTURE = readFileSync(new URL('./fixtures/kl_feed_service.conf', import.meta.url), 'utf8');
const serving = (siem: string, allowSwitch = false) => ({
  ...fortisiemSettings(),
  serves: { siem, site: 'hq--site', ...(allowSwitch ? { allowSwitch } : {}) },
});

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the record of which SIEM a CyberTrace serves', () => {
  it('is written once inside <Configuration>, keeps the file well-formed, and a second run changes nothing', async () => {
    const once = patchFeedServiceConfig(FIXTURE, serving('fortisiem'));
    expect(servesRecord(once.text)).toMatchObject({ siem: 'fortisiem', site: 'hq-site', line: 7 });
    expect(once.changes).toContain('recorded: serves fortisiem of site "hq--site"');
    xmllint(once.text);
    const again = patchFeedServiceConfig(once.text, serving('fortisiem'));
    expect(again.changed).toBe(false);
  });

  it('refuses to switch to another SIEM, naming both, unless allowed', () => {
    const fsm = patchFeedServiceConfig(FIXTURE, serving('fortisiem')).text;
    let err: unknown;
    try {
      patchFeedServiceConfig(fsm, serving('alienvault'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigPatchError);
    expect((err as ConfigPatchError).message).toMatch(
      /^7:5: this CyberTrace serves fortisiem \(site "hq-site", recorded here by ctconnect\); patching it for alienvault would replace fortisiem's OutputSettings/,
    );
    const switched = patchFeedServiceConfig(fsm, serving('alienvault', true));
    expect(servesRecord(switched.text)?.siem).toBe('alienvault');
    expect(switched.changes).toContain('recorded: serves alienvault of site "hq--site" (switched from fortisiem)');
    // Deploy merges kl_feed_service.conf with the same patch, so it refuses the same way.
    expect(() => mergeBytes({ kind: 'cybertrace-settings', settings: serving('alienvault') }, Buffer.from(fsm), '')).toThrow(MergeError);
    expect(() => mergeBytes({ kind: 'cybertrace-settings', settings: serving('alienvault') }, Buffer.from(fsm), '')).toThrow(
      /serves fortisiem .* for alienvault/,
    );
  });
});

describe('ctconnect cybertrace patch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-serves-'));
  made.push(dir);
  const conf = join(dir, 'kl_feed_service.conf');

  it('--check and --out - write nothing; a real run records the SIEM; switching needs --switch-siem', () => {
    writeFileSync(conf, FIXTURE);
    const check = runCli(['cybertrace', 'patch', '-c', 'examples/site.yaml', '--siem', 'fortisiem', '--in', conf, '--check', '--diff']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`would change ${conf}:`);
    expect(check.stdout).toContain('+        <ConnectionString>192.0.2.10:9999</ConnectionString>');
    const toStdout = runCli(['cybertrace', 'patch', '-c', 'examples/site.yaml', '--siem', 'fortisiem', '--in', conf, '--out', '-']);
    expect(toStdout.code).toBe(0);
    expect(servesRecord(toStdout.stdout)?.siem).toBe('fortisiem');
    expect(readFileSync(conf, 'utf8')).toBe(FIXTURE);
    expect(readdirSync(dir)).toEqual(['kl_feed_service.conf']);

    expect(runCli(['cybertrace', 'patch', '-c', 'examples/site.yaml', '--siem', 'fortisiem', '--in', conf, '--no-backup']).code).toBe(0);
    const patched = readFileSync(conf, 'utf8');
    expect(servesRecord(patched)).toMatchObject({ siem: 'fortisiem', site: 'example-site' });
    const refused = runCli(['cybertrace', 'patch', '-c', 'examples/site.yaml', '--siem', 'alienvault', '--in', conf]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${conf}:7:5: this CyberTrace serves fortisiem (site "example-site", recorded here by ctconnect); patching it for alienvault`,
    );
    expect(readFileSync(conf, 'utf8')).toBe(patched);
    expect(runCli(['cybertrace', 'patch', '-c', 'examples/site.yaml', '--siem', 'alienvault', '--in', conf, '--switch-siem', '--no-backup']).code).toBe(0);
    expect(servesRecord(readFileSync(conf, 'utf8'))?.siem).toBe('alienvault');
  });
});
