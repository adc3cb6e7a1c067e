/**
 * Every escaper is checked by the consumer of its format: an XML parser, the CEF parser,
 * Python's configparser, rsyslogd -N1, and /bin/sh. Hostile values either come back exactly
 * or are refused with an error naming the format.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { cefExtension, cefHeader, iniKey, iniValue, markdownText, rsyslogString, shellArg, xmlAttr, xmlText, EscapeError } from '../../src/render/escape.js';
import { parseCef } from '../../src/formats/cef.js';

const HOSTILE = [
  'plain',
  `quote " and ' apostrophe`,
  'pipe | bar',
  'eq = sign',
  'back\\slash',
  'semi ; colon',
  'pct %(x)s',
  '<tag>&amp;',
  'unicode é 日本',
  'trailing\\',
];

function parseXml(doc: string): { attr: string; text: string } {
  const p = new SaxesParser();
  let attr = '';
  let text = '';
  p.on('opentag', (t) => (attr = String(t.attributes.v)));
  p.on('text', (t) => (text += t));
  p.write(doc).close();
  return { attr, text };
}

describe('XML escaping', () => {
  it.each(HOSTILE)('round-trips %s through an XML parser', (v) => {
    expect(parseXml(`<a v="${xmlAttr(v)}">${xmlText(v)}</a>`)).toEqual({ attr: v, text: v });
    expect(parseXml(`<a v='${xmlAttr(v)}'>x</a>`).attr).toBe(v);
  });
  it('refuses control characters XML cannot carry', () => {
    expect(() => xmlText('a\u0001b')).toThrow(EscapeError);
    expect(() => xmlText('line\nbreak')).toThrow(/XML text/);
  });
});

describe('CEF escaping', () => {
  it.each([...HOSTILE, 'multi\nline', 'cr\r\nlf'])('round-trips %j through the CEF parser', (v) => {
    const ev = parseCef(`CEF:0|${cefHeader('Ven|dor\\')}|P|1|2|${cefHeader(v.replace(/[\r\n]/g, ' '))}|5|msg=${cefExtension(v)} act=ok`);
    expect(ev.deviceVendor).toBe('Ven|dor\\');
    expect(ev.name).toBe(v.replace(/[\r\n]/g, ' '));
    expect(ev.extension.msg).toBe(v.replace(/\r\n/g, '\n').trimEnd());
    expect(ev.extension.act).toBe('ok');
  });
  it('refuses a line break in a header field', () => {
    expect(() => cefHeader('a\nb')).toThrow(/CEF header/);
  });
});

describe('ini values (ossim plugin .cfg)', () => {
  const py = `
import configparser, sys
cp = configparser.ConfigParser()
cp.read_string(sys.stdin.read())
sys.stdout.write(cp.get('s', 'k') + '\\n' + cp.get('s', 'k2'))
`;
  it.each(['plain value', 'a=b', 'x: y', 'regexp (\\d+) \\S+', 'unicode é', 'mid"quote'])('round-trips %j through configparser', (v) => {
    const out = execFileSync('python3', ['-c', py], { input: `[s]\nk = ${iniValue(v)}\nk2=${iniValue(v)}\n` }).toString();
    expect(out).toBe(`${v}\n${v}`);
  });
  it.each([
    ['pct %(x)s', /interpolation/],
    ['pct 50%', /interpolation/],
    ['value ;comment', /inline comment/],
    ['value #comment', /inline comment/],
    ['"quoted"', /quote/],
    ["trailing'", /quote/],
    ['two\nlines', /control character/],
    [' padded', /whitespace/],
  ])('refuses %j', (v, why) => {
    expect(() => iniValue(v)).toThrow(why);
  });
  it('accepts only safe option names', () => {
    expect(iniKey('KL_Malicious_URL')).toBe('KL_Malicious_URL');
    expect(() => iniKey('a=b')).toThrow(/ini key/);
    expect(() => iniKey('a b')).toThrow(/ini key/);
  });
});

describe('rsyslog strings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsyslog-escape-'));
  it.each(HOSTILE)('keeps rsyslogd -N1 happy with %j', (v) => {
    const conf = join(dir, 'test.conf');
    writeFileSync(conf, `if $msg == "${rsyslogString(v)}" then {\n  action(type="omfile" file="${join(dir, 'out.log')}")\n}\n`);
    const r = spawnSync('rsyslogd', ['-N1', '-f', conf], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  it('is refused by rsyslogd -N1 without escaping (the test can fail)', () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, `if $msg == "quote " here" then stop\n`);
    expect(spawnSync('rsyslogd', ['-N1', '-f', conf]).status).not.toBe(0);
  });
  it('refuses line breaks', () => {
    expect(() => rsyslogString('a\nb')).toThrow(/rsyslog string/);
  });
});

describe('shell arguments', () => {
  it.each([...HOSTILE, '$(id)', '`id`', 'a b', '', "'", '-n', 'multi\nline'])('round-trips %j through /bin/sh', (v) => {
    const out = execFileSync('sh', ['-c', `printf '%s' ${shellArg(v)}`]).toString();
    expect(out).toBe(v);
  });
});

describe('Markdown text', () => {
  it('escapes table separators and code marks', () => {
    expect(markdownText('a|b`c')).toBe('a\\|b\\`c');
    expect(() => markdownText('a\nb')).toThrow(/Markdown/);
  });
});
