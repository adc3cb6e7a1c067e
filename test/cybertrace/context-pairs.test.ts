import { describe, expect, it } from 'vitest';
import { contextPairsParser } from '../../src/cybertrace/context-pairs.js';

const pairs: Array<[string, string]> = [
  ['first_seen', '10.07.2015 23:53'],
  ['mask', 'http://x.example/?a=1&b=2'],
  ['popularity', '5'],
  ['geo.country', 'de'],
];
/** How CyberTrace writes %RecordContext% with a given RecordFieldContextFormat. */
const write = (format: string) => pairs.map(([n, v]) => format.replace('%ParamName%', n).replace('%ParamValue%', v)).join('');

describe('record context parsers derived from RecordFieldContextFormat', () => {
  it.each(['%ParamName%:%ParamValue% ', ' %ParamName%=%ParamValue%'])('reads back what %j writes, spaces in values included', (format) => {
    expect(contextPairsParser(format)(write(format))).toEqual(
      // With "=" as the separator, a value holding " name=" would start a new pair; these samples hold none.
      pairs,
    );
  });

  it('starts a pair only at a name followed by the separator', () => {
    expect(contextPairsParser('%ParamName%:%ParamValue% ')('time:23:53 x 1:2 id:7 ')).toEqual([
      ['time', '23:53 x 1:2'],
      ['id', '7'],
    ]);
  });

  it('refuses formats whose pairs are not separated by whitespace', () => {
    expect(() => contextPairsParser('|%ParamName%=%ParamValue%')).toThrow(/does not separate its pairs by whitespace/);
    expect(() => contextPairsParser('%ParamName%=%ParamValue%')).toThrow(/whitespace/);
  });
});
