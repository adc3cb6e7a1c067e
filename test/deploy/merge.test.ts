/** Merges into existing files: marked blocks (placement, idempotence, byte-for-byte rest) and the CyberTrace settings patch. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMerge, mergeBytes, mergeMarkedBlock, mergeParts, MergeError, removeStaleBlocks } from '../../src/deploy/merge.js';
import { fortisiem } from '../../connectors/fortisiem/index.js';
import { siteWith } from './fixtures.js';

const spec = {
  kind: 'marked-block' as const,
  marker: 'ctconnect alienvault',
  commentPrefix: '#',
  after: '#### RULES ####',
  before: ['$IncludeConfig /etc/rsyslog.d/*.conf', '& stop'],
};
const block = 'local0.* @@192.0.2.10:9999\n';
const B = '# BEGIN ctconnect alienvault\nlocal0.* @@192.0.2.10:9999\n# END ctconnect alienvault\n';

describe('marked block', () => {
  it('goes after the `after` line', () => {
    expect(mergeMarkedBlock(spec, 'a\n#### RULES ####\nb\n', block)).toBe(`a\n#### RULES ####\n${B}b\n`);
  });

  it('else before the first of the `before` lines, else at the end', () => {
    expect(mergeMarkedBlock(spec, 'a\n& stop\n$IncludeConfig /etc/rsyslog.d/*.conf\n', block)).toBe(`a\n${B}& stop\n$IncludeConfig /etc/rsyslog.d/*.conf\n`);
    expect(mergeMarkedBlock(spec, 'a\nb', block)).toBe(`a\nb\n${B}`);
    expect(mergeMarkedBlock(spec, undefined, block)).toBe(B);
    expect(mergeMarkedBlock({ ...spec, after: undefined, before: undefined, commentPrefix: ';' }, 'x\n', 'y')).toBe(
      'x\n; BEGIN ctconnect alienvault\ny\n; END ctconnect alienvault\n',
    );
  });

  it('is idempotent and replaces only its own block; other bytes stay as they were', () => {
    const old = 'head  \t\n#### RULES ####\nrule1\r\n\n  tail without newline';
    const once = mergeMarkedBlock(spec, old, block);
    expect(mergeMarkedBlock(spec, once, block)).toBe(once);
    const changed = mergeMarkedBlock(spec, once, 'local0.* @@192.0.2.99:9999\n');
    expect(changed).toBe(once.replace('192.0.2.10', '192.0.2.99'));
    // Someone else's block with another marker is left alone.
    const withOther = once.replace('rule1', '# BEGIN other\nx\n# END other\nrule1');
    expect(mergeMarkedBlock(spec, withOther, 'new\n')).toBe(withOther.replace('local0.* @@192.0.2.10:9999', 'new'));
  });

  it('follows CRLF files', () => {
    expect(mergeMarkedBlock(spec, 'a\r\n#### RULES ####\r\n', 'x\ny\n')).toBe(
      'a\r\n#### RULES ####\r\n# BEGIN ctconnect alienvault\r\nx\r\ny\r\n# END ctconnect alienvault\r\n',
    );
  });

  it('refuses broken or doubled markers instead of guessing', () => {
    expect(() => mergeMarkedBlock(spec, '# BEGIN ctconnect alienvault\nx\n', block)).toThrow(
      new MergeError('line 1 opens "# BEGIN ctconnect alienvault" but no "# END ctconnect alienvault" follows; fix the block by hand'),
    );
    expect(() => mergeMarkedBlock(spec, 'x\n# END ctconnect alienvault\n', block)).toThrow(
      'line 2 has "# END ctconnect alienvault" but no "# BEGIN ctconnect alienvault" comes before it',
    );
    expect(() => mergeMarkedBlock(spec, `${B}${B}`, block)).toThrow('appears 2 times (lines 1, 4)');
    expect(() => mergeMarkedBlock(spec, '', '# END ctconnect alienvault\n')).toThrow('the block content itself contains');
  });

  it('keeps non-UTF-8 bytes outside the block exactly (latin1 rsyslog.conf)', () => {
    const old = Buffer.from([0x23, 0x20, 0xe9, 0xff, 0x0a, 0x61, 0x0a]);
    const out = mergeBytes(spec, old, 'caf\u00e9\n');
    expect(out.subarray(0, old.length)).toEqual(old);
    expect(out.subarray(old.length).toString('utf8')).toBe('# BEGIN ctconnect alienvault\ncaf\u00e9\n# END ctconnect alienvault\n');
    expect(mergeBytes(spec, out, 'caf\u00e9\n')).toEqual(out);
  });
});

describe('cybertrace-settings merge', () => {
  const fixture = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../cybertrace/fixtures/kl_feed_service.conf'));
  const settings = fortisiem.cybertrace(siteWith([]));

  it('patches the existing file and is idempotent', () => {
    const once = mergeBytes({ kind: 'cybertrace-settings', settings }, fixture, '');
    expect(once.toString('utf8')).toContain('<ConnectionString>192.0.2.30:514</ConnectionString>');
    expect(mergeBytes({ kind: 'cybertrace-settings', settings }, once, '')).toEqual(once);
  });

  it('refuses a missing file and a broken one', () => {
    expect(() => applyMerge({ kind: 'cybertrace-settings', settings }, undefined, '')).toThrow('install CyberTrace first');
    expect(() => mergeBytes({ kind: 'cybertrace-settings', settings }, Buffer.from('<Configuration><InputSettings>'), '')).toThrow(
      /cannot patch the existing file: .*/,
    );
  });
});

describe('several blocks of one bundle in one file', () => {
  const fam = { kind: 'marked-block' as const, commentPrefix: '#', after: '#### RULES ####', family: 'ctconnect kc ' };
  const fwd = { ...fam, marker: 'ctconnect kc forward' };
  const inb = { ...fam, marker: 'ctconnect kc inbound' };
  const old = Buffer.from('head\n#### RULES ####\ntail\n');

  it('are applied in order to one text, each between its own markers, and a second merge changes nothing', () => {
    const once = mergeParts(
      [
        { spec: fwd, content: 'F\n' },
        { spec: inb, content: 'I\n' },
      ],
      old,
    ).toString();
    expect(once).toBe(
      'head\n#### RULES ####\n# BEGIN ctconnect kc forward\nF\n# END ctconnect kc forward\n# BEGIN ctconnect kc inbound\nI\n# END ctconnect kc inbound\ntail\n',
    );
    expect(
      mergeParts(
        [
          { spec: fwd, content: 'F\n' },
          { spec: inb, content: 'I\n' },
        ],
        Buffer.from(once),
      ).toString(),
    ).toBe(once);
    // Each block is found by its marker and replaced in place.
    expect(
      mergeParts(
        [
          { spec: fwd, content: 'F2\n' },
          { spec: inb, content: 'I\n' },
        ],
        Buffer.from(once),
      ).toString(),
    ).toBe(once.replace('F\n', 'F2\n'));
  });

  it('a block of the family that the bundle no longer has is removed; blocks of others stay', () => {
    const foreign = '# BEGIN someone else\nX\n# END someone else\n';
    const both = mergeParts(
      [
        { spec: fwd, content: 'F\n' },
        { spec: inb, content: 'I\n' },
      ],
      Buffer.from(`${foreign}head\n#### RULES ####\ntail\n`),
    ).toString();
    const onlyForward = mergeParts([{ spec: fwd, content: 'F\n' }], Buffer.from(both)).toString();
    expect(onlyForward).toBe(`${foreign}head\n#### RULES ####\n# BEGIN ctconnect kc forward\nF\n# END ctconnect kc forward\ntail\n`);
    expect(() => removeStaleBlocks('# BEGIN ctconnect kc old\nno end\n', fam, [])).toThrow(MergeError);
  });
});
