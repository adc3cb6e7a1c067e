/**
 * Positions read from the text (`positionInText`, used for plain site files the fast parser read)
 * are the ones the position-keeping document gives (`positionOf`) for every path of real site
 * files, or none at all (the document is asked then).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { positionInText, positionOf, type PathSegment } from '../../src/config/positions.js';
import { REPO } from '../helpers/cli.js';

const INIT_SITE = readFileSync(join(REPO, 'examples', 'site.yaml'), 'utf8');

/** The init site with `n` forwarded devices in place of its two. */
function withDevices(n: number): string {
  const devices = Array.from({ length: n }, (_, i) => `      - ip: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n        name: dev-${i}\n`).join('');
  return INIT_SITE.replace(/^( {4}devices:.*\n)(?: {6}- ip: .*\n {8}name: .*\n)+/m, `$1${devices}`);
}

/** Every path in the data, and every key of every mapping (as keyOf). */
function everyPath(value: unknown, path: PathSegment[] = [], out: Array<{ path: PathSegment[]; keyOf?: string }> = []) {
  out.push({ path });
  if (Array.isArray(value)) value.forEach((v, i) => everyPath(v, [...path, i], out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ path, keyOf: k });
      everyPath(v, [...path, k], out);
    }
  }
  return out;
}

/** For every path: the text's answer, where it gives one, is the document's; returns how many it gave. */
function compare(text: string): { asked: number; answered: number } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  let answered = 0;
  const paths = everyPath(doc.toJS());
  for (const { path, keyOf } of paths) {
    const fromText = positionInText(text, path, keyOf);
    if (fromText === undefined) continue;
    answered++;
    expect(fromText, `${JSON.stringify(path)} ${keyOf ?? ''}`).toEqual(positionOf(doc, lc, path, keyOf));
  }
  return { asked: paths.length, answered };
}

describe('positions read from the text', () => {
  it("are the document's for every path of the site `ctconnect init` writes", () => {
    const { asked, answered } = compare(INIT_SITE);
    // It answers for nearly all of them (the rest: empty values, flow collections on the path).
    expect(answered / asked).toBeGreaterThan(0.8);
  });

  it("are the document's on a site with many devices, and answer for every device", () => {
    const text = withDevices(300);
    compare(text);
    const siem = 'alienvault';
    for (const i of [0, 1, 150, 299]) {
      expect(positionInText(text, ['siems', siem, 'devices', i, 'ip'])).toBeDefined();
      expect(positionInText(text, ['siems', siem, 'devices', i], 'name')).toBeDefined();
    }
    expect(positionInText(text, ['siems', siem, 'devices', 300])).toBeUndefined();
  });

  it("are the document's for the ways YAML writes blocks, and give up where they cannot tell", () => {
    const text = [
      '---',
      '# a comment',
      'a:',
      '  # inside',
      '  b: 1   # trailing',
      "  'quoted key': x",
      '  "double": y',
      '  list:',
      '    - one',
      '    -   two',
      '    -',
      '      three: 3',
      '      four: [4, 5]',
      '    - - nested',
      '      - again',
      '  text: |',
      '    b: not a key',
      '    - not an item',
      '  after: z',
      'same_column:',
      '- p',
      '- q',
      'empty:',
      'flow: { k: v }',
      'last: end',
      '',
    ].join('\n');
    const { answered } = compare(text);
    expect(answered).toBeGreaterThan(15);
    expect(positionInText(text, ['a', 'after'])).toEqual({ line: 19, col: 10 });
    expect(positionInText(text, ['a', 'list', 2, 'three'])).toEqual({ line: 12, col: 14 });
    expect(positionInText(text, ['a', 'list', 3, 1])).toEqual({ line: 15, col: 9 });
    // A sequence at its key's column, a null value, a flow mapping: the document is asked.
    expect(positionInText(text, ['same_column', 0])).toBeUndefined();
    expect(positionInText(text, ['empty'])).toBeUndefined();
    expect(positionInText(text, ['flow', 'k'])).toBeUndefined();
    expect(positionInText(text, ['a', 'missing'])).toBeUndefined();
  });
});
