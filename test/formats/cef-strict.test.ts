/** The strict CEF reader: the specification's escaping rules, and every place a sender broke them named per key. */
import { describe, expect, it } from 'vitest';
import { readCefStrict } from '../../src/formats/cef-strict.js';

const H = 'CEF:0|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|';

describe('readCefStrict', () => {
  it('reads escaped values as the specification says', () => {
    const r = readCefStrict(`<134>Jan  1 00:00:00 h ${H}request=http://x/?a\\=1&b\\=2 suser=CORP\\\\nick msg=two\\nlines|pipe cs6=a b  c`);
    expect(r.problems).toEqual([]);
    expect(r.header).toEqual(['0', 'Kaspersky', 'CyberTrace', '3.1', '2', 'CyberTrace Detection Event', '8']);
    expect([...r.extension]).toEqual([
      ['request', 'http://x/?a=1&b=2'],
      ['suser', 'CORP\\nick'],
      ['msg', 'two\nlines|pipe'],
      ['cs6', 'a b  c'],
    ]);
  });

  it('header escapes: \\| and \\\\ only', () => {
    const r = readCefStrict('CEF:0|Ven\\|dor|Pro\\\\duct|1|2|N\\x|3|k=v');
    expect(r.header.slice(1, 3)).toEqual(['Ven|dor', 'Pro\\duct']);
    expect(r.problems).toEqual([{ message: 'header field 6: "\\x" is not a CEF header escape' }]);
  });

  it('names what unescaped text breaks: "=" in a value, unknown escapes, a key inside a value written twice', () => {
    const r = readCefStrict(`${H}dst=192.0.2.1 request=http://x/?p=1&p=2 suser=CORP\\nick\\o msg=first_seen:1 dst=10.0.0.1 x:y`);
    expect(r.extension.get('request')).toBe('http://x/?p=1&p=2');
    expect(r.extension.get('suser')).toBe('CORP\nick\\o');
    expect(r.extension.get('dst')).toBe('192.0.2.1');
    expect(r.extension.get('msg')).toBe('first_seen:1');
    expect(r.problems).toEqual([
      { key: 'request', message: 'unescaped "=" inside the value of request (CEF requires "\\=")' },
      { key: 'suser', message: '"\\o" in the value of suser is not a CEF escape' },
      { key: 'dst', message: 'key dst appears more than once' },
    ]);
  });

  it('refuses what is not CEF', () => {
    expect(readCefStrict('hello').problems).toEqual([{ message: 'no "CEF:" in the message' }]);
    expect(readCefStrict('CEF:0|a|b|c').problems).toEqual([{ message: 'the header has 3 of 7 fields' }]);
    expect(readCefStrict(`${H}no pairs here`).problems).toEqual([{ message: 'the extension has no key=value pair' }]);
  });
});
