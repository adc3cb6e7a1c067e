import { describe, expect, it } from 'vitest';
import { confValue, parseConf, renderConf } from '../../connectors/splunk/conf.js';

describe('Splunk .conf parser', () => {
  it('reads stanzas, key = value, comments, and continuation lines', () => {
    const { stanzas, problems } = parseConf('# top\nglobal = 1\n[a]\n  # indented comment\nx = one = two\ny = first \\\nsecond\n\n[b c]\nz=\n');
    expect(problems).toEqual([]);
    expect(stanzas.get('default')!.get('global')).toBe('1');
    expect([...stanzas.get('a')!]).toEqual([
      ['x', 'one = two'],
      ['y', 'first \nsecond'],
    ]);
    expect(stanzas.get('b c')!.get('z')).toBe('');
  });

  it('reports duplicate keys and stanzas and lines that are neither, with line numbers', () => {
    expect(parseConf('[a]\nx = 1\nx = 2\n[b]\n[a]\njunk\n').problems).toEqual([
      'line 3: key "x" appears twice in [a]',
      'line 5: stanza [a] already started at line 1',
      'line 6: neither a stanza, a comment nor key = value: "junk"',
    ]);
  });

  it('writes what it reads back, and refuses values Splunk would change', () => {
    const text = renderConf(
      ['head'],
      [
        {
          name: 'x',
          entries: [
            ['REGEX', '(?:^|\\s)a=(\\S+)'],
            ['n', 3],
          ],
        },
      ],
    );
    expect(parseConf(text).stanzas.get('x')!.get('REGEX')).toBe('(?:^|\\s)a=(\\S+)');
    expect(() => confValue('a\nb')).toThrow(/control character U\+000A/);
    expect(() => confValue('ends with \\')).toThrow(/continues the value/);
    expect(() => confValue(' padded')).toThrow(/whitespace/);
    expect(() => renderConf([], [{ name: 'a]b', entries: [] }])).toThrow(/stanza name/);
  });
});
