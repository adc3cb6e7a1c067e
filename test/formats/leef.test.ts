/** src/formats/leef.ts: the LEEF header writer and reader, checked against the examples of IBM's LEEF guide. */
import { describe, expect, it } from 'vitest';
import { leefAttributes, leefDelimiterField, leefDelimiterOf, leefHeader, parseLeef } from '../../src/formats/leef.js';

describe('LEEF', () => {
  it('writes the 1.0 and 2.0 headers of the guide', () => {
    expect(leefHeader({ version: '1.0', vendor: 'Microsoft', product: 'MSExchange', productVersion: '4.0 SP1', eventId: '15345', delimiter: '\t' })).toBe(
      'LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|',
    );
    expect(leefHeader({ version: '2.0', vendor: 'Lancope', product: 'StealthWatch', productVersion: '1.0', eventId: '41', delimiter: '^' })).toBe(
      'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|',
    );
    expect(() => leefHeader({ version: '2.0', vendor: 'A|B', product: 'P', productVersion: '1', eventId: 'x', delimiter: '^' })).toThrow(/vendor "A\|B"/);
  });

  it('declares a delimiter that is not printable ASCII (or is "|") in hex, and reads both forms', () => {
    expect(leefDelimiterField('^')).toBe('^');
    expect(leefDelimiterField('\t')).toBe('x09');
    expect(leefDelimiterField('|')).toBe('x7C');
    expect(() => leefDelimiterField('^^')).toThrow(/one character/);
    expect(leefDelimiterOf('x09')).toBe('\t');
    expect(leefDelimiterOf('0x5E')).toBe('^');
    expect(leefDelimiterOf('^')).toBe('^');
    expect(() => leefDelimiterOf('ab')).toThrow(/neither one character nor a hex value/);
  });

  it('reads events with an RFC 3164 or RFC 5424 syslog header, or none', () => {
    const e = parseLeef('<13>Jan 18 11:07:53 192.168.1.1 LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5');
    expect(e).toMatchObject({ version: '2.0', vendor: 'Lancope', eventId: '41', delimiter: '^', syslog: { format: 'rfc3164', pri: 13, host: '192.168.1.1' } });
    expect(e.attributes).toEqual([
      ['src', '10.0.1.8'],
      ['dst', '10.0.0.5'],
      ['sev', '5'],
    ]);
    expect(parseLeef('<133>1 2019-01-18T11:07:53.520+07:00 myhostname LEEF:1.0|Microsoft|MSExchange|2013|15345|src=1.2.3.4\tdst=5.6.7.8').syslog).toMatchObject(
      { format: 'rfc5424', host: 'myhostname' },
    );
    expect(parseLeef('LEEF:2.0|V|P|1|E|x09|a=1\tb=x=y').attributes).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
    ]);
    expect(parseLeef('LEEF:2.0|V|P|1|E|||a=1|b=2').attributes).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('a segment without "=" continues the value before it; errors name what is wrong', () => {
    expect(leefAttributes('url=http://x/a^b^c=1', '^')).toEqual([
      ['url', 'http://x/a^b'],
      ['c', '1'],
    ]);
    expect(() => parseLeef('CEF:0|a|b|c|d|e|f|')).toThrow(/no "LEEF:" header/);
    expect(() => parseLeef('LEEF:3.0|a|b|c|d|')).toThrow(/LEEF header is not/);
    expect(() => parseLeef('garbage LEEF:2.0|a|b|c|d|^|')).toThrow(/syslog/);
    expect(() => parseLeef('LEEF:2.0|a|b|c|d|^|x=1\ny=2')).toThrow(/one line/);
  });
});
