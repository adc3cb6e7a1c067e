/**
 * Deploy plans without connecting: every registered connector and variant plans for every role
 * (what `validate` does), and the planner catches inconsistent bundles as bugs instead of
 * deploying half of them.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { allConnectors } from '../../connectors/registry.js';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { buildBundle } from '../../src/bundle/build.js';
import { InternalError } from '../../src/kernel/errors.js';
import { allRolesTarget, workOf } from '../../src/deploy/work.js';
import { createRenderer } from '../../src/render/engine.js';
import { connectorVariants, siteFromYaml } from '../helpers/bundles.js';
import { bundleOf, siteWith } from './fixtures.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../examples/site.yaml');

const variants = connectorVariants();

describe.each(variants)('plan of $c.id ($variant)', ({ c, options }) => {
  it('groups files by target path, keys steps by role, and runs each command once on a host with every role', async () => {
    const doc = parse(readFileSync(EXAMPLE, 'utf8')) as { siems: Record<string, Record<string, unknown>> };
    doc.siems = { [c.id]: { ...doc.siems[c.id], ...options } };
    const bundle = await buildBundle(c, siteFromYaml(stringify(doc)), createRenderer());
    const w = workOf(bundle, allRolesTarget(bundle));
    const installed = bundle.files.filter((f) => f.install);
    // Every installed bundle file is part of exactly one target file.
    expect(w.files.flatMap((f) => f.parts.map((p) => p.bundlePath)).sort()).toEqual(installed.map((f) => f.path).sort());
    expect(new Set(w.files.map((f) => f.path)).size).toBe(w.files.length);
    expect(new Set(w.steps.map((s) => s.step.command)).size).toBe(w.steps.length);
    for (const f of w.files)
      for (const k of f.notify)
        expect(
          w.steps.some((s) => s.keys.includes(k)),
          `${f.path} notifies ${k}`,
        ).toBe(true);
  });
});

const file = (path: string, installPath: string, extra: Partial<NonNullable<BundleFile['install']>> = {}): BundleFile => ({
  path,
  content: `${path}\n`,
  mode: 0o644,
  install: { role: 'cybertrace', path: installPath, mode: 0o644, ...extra },
});
const block = (marker: string) => ({ kind: 'marked-block' as const, marker, commentPrefix: '#' });
const step = (id: string, role = 'cybertrace', command = `echo ${id}`): InstallStep => ({ id, role, description: id, command, timeoutSec: 5, when: 'changed' });
const target = siteWith([{ name: 't', port: 22, roles: ['cybertrace', 'fortisiem'] }]).targets[0];

describe('plan consistency', () => {
  it('merges blocks of one file into one target file with the union of what they notify', () => {
    const w = workOf(
      bundleOf(
        [
          file('a', '/etc/x.conf', { merge: block('m a'), notify: ['r'], validate: 'v {file}' }),
          file('b', '/etc/x.conf', { merge: block('m b'), notify: ['s'] }),
        ],
        [step('r'), step('s')],
      ),
      target,
    );
    expect(w.files).toHaveLength(1);
    expect(w.files[0]).toMatchObject({
      path: '/etc/x.conf',
      bundlePath: 'a + b',
      merged: true,
      validate: 'v {file}',
      notify: ['cybertrace/r', 'cybertrace/s'],
    });
  });

  it.each([
    ['two whole files at one path', [file('a', '/etc/x'), file('b', '/etc/x')], [], /not all of them are merge edits/],
    ['a whole file and a block at one path', [file('a', '/etc/x'), file('b', '/etc/x', { merge: block('m') })], [], /not all of them are merge edits/],
    ['the same block twice', [file('a', '/etc/x', { merge: block('m') }), file('b', '/etc/x', { merge: block('m') })], [], /same edit/],
    [
      'blocks with different validators',
      [file('a', '/etc/x', { merge: block('m1'), validate: 'x' }), file('b', '/etc/x', { merge: block('m2'), validate: 'y' })],
      [],
      /different validate/,
    ],
    ['a notify of no step of the role', [file('a', '/etc/x', { notify: ['nope'] })], [], /no step of role cybertrace/],
    ['two steps with one key', [], [step('r'), step('r')], /both cybertrace\/r/],
  ] as Array<[string, BundleFile[], InstallStep[], RegExp]>)('refuses %s as a bug', (_what, files, steps, message) => {
    expect(() => workOf(bundleOf(files, steps), target)).toThrow(InternalError);
    expect(() => workOf(bundleOf(files, steps), target)).toThrow(message);
  });

  it('steps of two roles with one action are distinct; on a host with both roles one command runs once', () => {
    const w = workOf(
      bundleOf(
        [file('a', '/etc/a', { notify: ['restart'] }), file('b', '/etc/b', { role: 'fortisiem', notify: ['restart'] })],
        [step('restart', 'cybertrace', 'svc restart'), step('restart', 'fortisiem', 'svc restart')],
      ),
      target,
    );
    expect(w.steps).toHaveLength(1);
    expect(w.steps[0]).toMatchObject({ key: 'cybertrace/restart', keys: ['cybertrace/restart', 'fortisiem/restart'] });
  });
});

describe('several CyberTrace instances', () => {
  const yaml = (ctTargets: string) => `
name: two-cybertraces
cybertraces:
  - { name: ct-fsm, address: 192.0.2.10, serves: [fortisiem] }
  - { name: ct-av, address: 192.0.2.11, serves: [alienvault] }
siems:
  fortisiem: { address: 192.0.2.30 }
  alienvault: { address: 192.0.2.20, devices: [{ ip: 198.51.100.11 }] }
targets:
${ctTargets}`;

  it("a bundle's CyberTrace settings go only to the host that is the instance serving its SIEM", async () => {
    const site = siteFromYaml(
      yaml(`  - { name: h-fsm, host: 127.0.0.1, user: root, roles: [cybertrace], cybertrace: ct-fsm }
  - { name: h-av, host: 127.0.0.2, user: root, roles: [cybertrace, alienvault], cybertrace: ct-av }`),
    );
    const fsm = await buildBundle(
      allConnectors().find((c) => c.id === 'fortisiem')!,
      site,
      createRenderer(),
    );
    const av = await buildBundle(
      allConnectors().find((c) => c.id === 'alienvault')!,
      site,
      createRenderer(),
    );
    const [hFsm, hAv] = site.targets;
    expect(workOf(fsm, hFsm).files.map((f) => f.path)).toEqual(['/opt/kaspersky/ktfs/etc/kl_feed_service.conf']);
    expect(workOf(fsm, hAv).files).toEqual([]);
    expect(workOf(av, hFsm).files).toEqual([]);
    expect(workOf(av, hAv).files.map((f) => f.path)).toContain('/opt/kaspersky/ktfs/etc/kl_feed_service.conf');
  });

  it('a host with role cybertrace must name its instance, with the field and its position', () => {
    expect(() => siteFromYaml(yaml('  - { name: h1, host: 127.0.0.1, user: root, roles: [cybertrace] }'))).toThrow(
      expect.objectContaining({
        details: [
          expect.stringMatching(
            /^test-site\.yaml:10:\d+: targets\[0\]\.roles: with several CyberTrace instances, a target with role cybertrace names the one it is: add cybertrace: <ct-fsm \| ct-av>/,
          ),
        ],
      }),
    );
    expect(() => siteFromYaml(yaml('  - { name: h1, host: 127.0.0.1, user: root, roles: [cybertrace], cybertrace: ct-x }'))).toThrow(
      expect.objectContaining({ details: [expect.stringMatching(/targets\[0\]\.cybertrace: no CyberTrace instance "ct-x"/)] }),
    );
  });
});
