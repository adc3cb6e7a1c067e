/**
 * Every refusal of a site value names the field path and file:line:col and exits 1, at load time:
 * a template never has to refuse. Table-driven over every string field of the example site, with
 * the control characters no generated format can carry planted in each.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { runCli, REPO } from '../helpers/cli.js';
import { parseSite } from '../../src/config/load.js';
import { buildBundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';
import { formatPath } from '../../src/config/positions.js';
import { UserError } from '../../src/kernel/errors.js';
import { siteSchema } from '../../src/config/schema.js';
import { allConnectors } from '../../connectors/registry.js';
import { registry } from '../../connectors/registry.js';

/** The example site plus one target with every string field set (the example's targets are commented out). */
const EXAMPLE = (() => {
  const doc = parseDocument(readFileSync(join(REPO, 'examples', 'site.yaml'), 'utf8'));
  doc.setIn(
    ['targets'],
    [
      {
        name: 'ct1',
        host: '192.0.2.10',
        user: 'deploy',
        roles: ['cybertrace'],
        identity_file: '~/.ssh/id_ed25519',
        password_env: 'CT1_KEY_PASSPHRASE',
        sudo: 'password',
        sudo_password_env: 'CT1_SUDO',
        root_prefix: '/srv/stage',
        known_hosts: '~/.ssh/known_hosts',
        host_key_sha256: 'SHA256:' + 'A'.repeat(43),
      },
    ],
  );
  return doc.toString({ lineWidth: 0 });
})();

/** The path of every string scalar in the example site. */
function stringPaths(node: Node | null | undefined, path: Array<string | number> = []): Array<Array<string | number>> {
  if (isMap(node)) return node.items.flatMap((p) => stringPaths(p.value as Node, [...path, String((p.key as { value: unknown }).value)]));
  if (isSeq(node)) return node.items.flatMap((n, i) => stringPaths(n as Node, [...path, i]));
  if (isScalar(node) && typeof node.value === 'string') return [path];
  return [];
}

const PATHS = stringPaths(parseDocument(EXAMPLE).contents);

/** The example with `plant` appended to the value at `path` (written as a YAML escape, so the file itself stays valid YAML). */
function planted(path: Array<string | number>, plant: string): string {
  const doc = parseDocument(EXAMPLE);
  doc.setIn(path, `${String(doc.getIn(path))}${plant}x`);
  return doc.toString({ lineWidth: 0 });
}

function problems(text: string): string[] {
  try {
    parseSite(text, 'site.yaml', registry);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).details;
  }
  throw new Error('the site was accepted');
}

describe('control characters in any string field', () => {
  it('the table covers the whole example site', () => {
    // Core, every connector and targets: if the example grows, the table grows with it.
    const tops = new Set(PATHS.map((p) => (p[0] === 'siems' ? `siems.${p[1]}` : String(p[0]))));
    expect([...tops].sort()).toEqual(
      expect.arrayContaining(['categories', 'cybertrace', 'name', 'siems.alienvault', 'siems.fortisiem', 'siems.kuma', 'siems.splunk', 'targets']),
    );
    expect(PATHS.length).toBeGreaterThan(30);
  });

  for (const [label, ch] of [
    ['TAB', '\t'],
    ['NUL', '\u0000'],
    ['LF', '\n'],
    ['CR', '\r'],
  ] as const) {
    it.each(PATHS.map((p) => [formatPath(p), p] as const))(`${label} in %s is refused with its position`, (shownPath, path) => {
      const text = planted(path, ch);
      const node = parseDocument(text).getIn(path, true) as Node;
      const pos = lineCol(text, node.range![0]);
      if (MULTILINE.has(shownPath) && (ch === '\t' || ch === '\n')) {
        // The one kind of field that may hold line breaks and tabs (KUMA's rule description).
        expect(() => parseSite(text, 'site.yaml', registry)).not.toThrow();
        return;
      }
      // The field's own pattern may word it (e.g. "must be text on one line"); otherwise the general control-character refusal.
      const line = problems(text).find((l) => l.startsWith(`site.yaml:${pos}: ${shownPath}: `));
      expect(line, problems(text).join('\n')).toBeDefined();
      if (!/: must be /.test(line!)) expect(line).toMatch(/: contains the control character U\+00(09|00|0A|0D) \((TAB|NUL|LF|CR)/);
    });
  }
});

/** Paths of string fields whose schema says `multiline: true`. */
const MULTILINE = new Set(
  PATHS.filter((p) => {
    let s = siteSchema(allConnectors()) as { properties?: Record<string, unknown>; items?: unknown; multiline?: boolean } | undefined;
    for (const seg of p) s = (typeof seg === 'number' ? s?.items : s?.properties?.[seg]) as typeof s;
    return s?.multiline === true;
  }).map(formatPath),
);

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

describe('refusals the issue names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-refusals-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it.each([
    ['organization', ['siems', 'fortisiem', 'organization']],
    ['reporting_devices', ['siems', 'fortisiem', 'reporting_devices', 0]],
    ['event_types', ['siems', 'fortisiem', 'event_types', 0]],
    ['severity', ['siems', 'fortisiem', 'severity']],
    ['regex_filter', ['siems', 'fortisiem', 'regex_filter']],
    ['actionable_fields.feed', ['siems', 'fortisiem', 'actionable_fields', 0, 'feed']],
  ])('FortiSIEM %s with a TAB: generate exits 1 naming field and position, not a template', (_name, path) => {
    const doc = parseDocument(EXAMPLE);
    doc.setIn(path, 'a\tb');
    const f = write(`fsm-${formatPath(path)}.yaml`, doc.toString({ lineWidth: 0 }));
    const r = runCli(['generate', 'fortisiem', '-c', f, '-o', join(dir, `out-${formatPath(path)}`)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: ${formatPath(path).replace(/[.[\]]/g, '\\$&')}: contains the control character U\\+0009 \\(TAB\\)`,
      ),
    );
    expect(r.stderr).not.toContain('.hbs');
  });

  it.each([
    ['a line break', 'Two\nlines'],
    ['a CR', 'Two\rlines'],
    ['a NUL', 'nul\u0000'],
    ['a trailing backslash', 'ends with \\'],
    ['a trailing space', 'ends with space '],
  ])('categories.custom[].title with %s names field and position', (_what, title) => {
    const doc = parseDocument(EXAMPLE);
    doc.setIn(['categories', 'custom', 0, 'title'], title);
    const text = doc.toString({ lineWidth: 0 });
    const lines = problems(text);
    const pos = lineCol(text, (parseDocument(text).getIn(['categories', 'custom', 0, 'title'], true) as Node).range![0]);
    expect(
      lines.some((l) => l.startsWith(`site.yaml:${pos}: categories.custom[0].title: `)),
      lines.join('\n'),
    ).toBe(true);
  });

  it('a YAML alias bomb exits 1 with the position of the first alias', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
      'cybertrace: {address: 192.0.2.10}',
      '',
    ].join('\n');
    const r = runCli(['validate', '-c', write('bomb.yaml', bomb)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'bomb.yaml')}:2:8: YAML: Excessive alias count`);
  });

  it('a refused 100 KB value is echoed shortened', () => {
    const doc = parseDocument(EXAMPLE);
    doc.setIn(['siems', 'fortisiem', 'organization'], 'x'.repeat(100_000));
    const r = runCli(['validate', '-c', write('long.yaml', doc.toString({ lineWidth: 0 }))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('siems.fortisiem.organization');
    expect(r.stderr).toContain('… (100000 characters)');
    expect(r.stderr.length).toBeLessThan(2000);
  });

  it('a pattern without a description reads "must match pattern", not "must be must match"', () => {
    const doc = parseDocument(EXAMPLE);
    doc.setIn(['targets', 0, 'password_env'], 'not a name');
    const lines = problems(doc.toString({ lineWidth: 0 }));
    const line = lines.find((l) => l.includes('targets[0].password_env'));
    expect(line).toBeDefined();
    expect(line).not.toContain('must be must');
  });
});

describe('what the loader accepts, every template can write', () => {
  it('characters that mean something in some format, planted at either end of every string field: refused by the loader or built into every bundle', async () => {
    const plants = ['%(x)s', ' ;c', ' #c', '"', "'", '\\', '|', '`', ']', '$x', '{{x}}', '<b>&', 'a=b', '  ', '😀', 'ж', 'х'];
    const refusedByTemplates: string[] = [];
    let accepted = 0;
    // One renderer for every build: its templates are read and instantiated once.
    const render = createRenderer();
    for (const path of PATHS) {
      for (const plant of plants) {
        for (const atEnd of [true, false]) {
          const doc = parseDocument(EXAMPLE);
          const v = String(doc.getIn(path));
          doc.setIn(path, atEnd ? v + plant : plant + v);
          let site;
          try {
            site = parseSite(doc.toString({ lineWidth: 0 }), 'site.yaml', registry);
          } catch (e) {
            expect(e).toBeInstanceOf(UserError);
            continue;
          }
          accepted++;
          for (const c of allConnectors()) {
            await buildBundle(c, site, render).catch((e: Error) =>
              refusedByTemplates.push(`${formatPath(path)} ${JSON.stringify(plant)} ${c.id}: ${e.message.slice(0, 160)}`),
            );
          }
        }
      }
    }
    expect(refusedByTemplates).toEqual([]);
    expect(accepted).toBeGreaterThan(100);
    // Every planted value × every connector's bundle: about 80 s alone on a 2-core machine under a load of 20;
    // the limit keeps it under a third of its time there.
  }, 400_000);
});
