import { describe, expect, it } from 'vitest';
import { assertXmlName, settingsToSheet, settingsToXmlFragment, xmlContent } from '../../src/cybertrace/fragment.js';
import type { CyberTraceSettings, RegExpDef } from '../../src/model/cybertrace.js';
import { fortisiemSettings } from './fixtures/fortisiem-settings.js';
import { at, readXml, xmllint } from './fixtures/xml-read.js';

const S = fortisiemSettings();

// Patterns an XML writer can get wrong: markup characters, a CDATA terminator, edge spaces, quotes, backticks.
const TRICKY: RegExpDef[] = [
  { name: 'CDATA_END', type: 'CONTEXT', extract: 'first', pattern: 'x]]>y]]>]]>', purpose: 'CDATA terminator, three times' },
  { name: 'MARKUP', type: 'CONTEXT', extract: 'all', pattern: String.raw`<(\w+)>&amp;</\1>`, purpose: 'markup characters' },
  { name: 'EDGES', type: 'CONTEXT', extract: 'first', pattern: '  spaced\t', purpose: 'leading spaces, trailing tab' },
  { name: 'QUOTES', type: 'CONTEXT', extract: 'first', pattern: `"'\`x\`|y`, purpose: 'quotes | pipes `ticks`' },
  { name: 'PLAIN', type: 'HASH', extract: 'all', pattern: String.raw`([\da-fA-F]{32,64})`, purpose: 'nothing special' },
  { name: 'Ünïcode_name-1.x', type: 'URL', extract: 'all', pattern: 'страница', purpose: 'non-ASCII' },
];
const tricky: CyberTraceSettings = {
  ...S,
  input: { ...S.input, eventDelimiter: ']]>', regexps: TRICKY },
  output: { ...S.output, eventFormat: ' <b>&amp;]]> ', alertFormat: undefined, finishedEventEnabled: true },
};

describe('settingsToXmlFragment', () => {
  it('is well-formed (xmllint) and shaped like kl_feed_service.conf', () => {
    for (const s of [S, tricky]) {
      const xml = settingsToXmlFragment(s);
      expect(xmllint(xml)).toBe('');
      const root = readXml(xml);
      expect(root.name).toBe('Configuration');
      expect(root.children.map((c) => c.name)).toEqual(['InputSettings', 'OutputSettings', 'Feeds']);
    }
  });

  it('holds the FortiSIEM values exactly', () => {
    const root = readXml(settingsToXmlFragment(S));
    expect(at(root, 'InputSettings/ConnectionString').text).toBe('10.43.11.15:9999');
    expect(at(root, 'InputSettings/EventDelimiter').text).toBe(String.raw`[^\=](\<\d+\>)`);
    expect(at(root, 'OutputSettings/ConnectionString').text).toBe('10.43.11.43:514');
    expect(at(root, 'OutputSettings/EventFormat').text).toBe(S.output.eventFormat);
    expect(at(root, 'OutputSettings/AlertFormat').text).toBe(S.output.alertFormat);
    expect(at(root, 'OutputSettings/RecordFieldContextFormat').text).toBe('%ParamName%:%ParamValue% ');
    expect(at(root, 'OutputSettings/ActionableFieldContextFormat').text).toBe('%ParamName%=%ParamValue% ');
    expect(at(root, 'OutputSettings/FinishedEventFormat').attrs.enabled).toBe('false');
    const src = at(root, 'InputSettings/RegExps/Source');
    expect(src.attrs).toEqual({ id: 'default' });
    expect(src.children.map((c) => [c.name, c.attrs.type, c.attrs.extract, c.text])).toEqual(
      S.input.regexps.map((r) => [r.name, r.type, r.extract, r.pattern]),
    );
  });

  it('round-trips awkward regexps and formats through an XML parser', () => {
    const xml = settingsToXmlFragment(tricky);
    const root = readXml(xml);
    expect(at(root, 'InputSettings/RegExps/Source').children.map((c) => [c.name, c.text])).toEqual(TRICKY.map((r) => [r.name, r.pattern]));
    expect(at(root, 'InputSettings/EventDelimiter').text).toBe(']]>');
    expect(at(root, 'OutputSettings/EventFormat').text).toBe(' <b>&amp;]]> ');
    expect(at(root, 'OutputSettings').children.map((c) => c.name)).not.toContain('AlertFormat');
    expect(at(root, 'OutputSettings/FinishedEventFormat').attrs.enabled).toBe('true');
  });

  it('uses CDATA where a reader would need it, plain text elsewhere', () => {
    const xml = settingsToXmlFragment(S);
    expect(xml).toContain('<ActionableFieldContextFormat><![CDATA[%ParamName%=%ParamValue% ]]></ActionableFieldContextFormat>');
    expect(xml).toContain('<EventDelimiter><![CDATA[[^\\=](\\<\\d+\\>)]]></EventDelimiter>');
    expect(xml).toContain('<RE_HASH type="HASH" extract="all">([\\da-fA-F]{32,64})</RE_HASH>');
    expect(xml).toContain('<RE_URL type="URL" extract="all"><![CDATA[(?:\\:\\/\\/)');
    expect(xml).toMatch(/<Feeds>\n.*RE_MD5.*RE_HASH.*\n.*RE_SHA1.*\n.*RE_SHA256.*\n\s*<\/Feeds>/);
    expect(xmlContent('a]]>b')).toBe('<![CDATA[a]]]]><![CDATA[>b]]>');
  });

  it('refuses names and values XML cannot carry', () => {
    for (const bad of ['1st', 'has space', 'pre:fix', '', '-x', 'a<b']) {
      expect(() => assertXmlName(bad)).toThrow(/not a valid XML element name/);
      const s: CyberTraceSettings = { ...S, input: { ...S.input, regexps: [{ ...TRICKY[4], name: bad }] } };
      expect(() => settingsToXmlFragment(s)).toThrow(/not a valid XML element name/);
    }
    for (const ok of ['RE_HASH', '_x', 'a.b-c', 'Ünïcode']) expect(() => assertXmlName(ok)).not.toThrow();
    expect(() => xmlContent('line\nbreak')).toThrow(/control character/);
    expect(() => xmlContent('\uFFFE')).toThrow(/cannot hold/);
    const dup: CyberTraceSettings = { ...S, input: { ...S.input, regexps: [TRICKY[4], TRICKY[4]] } };
    expect(() => settingsToXmlFragment(dup)).toThrow(/defined twice/);
  });

  it('keeps rename names with "--" from breaking the comment', () => {
    const s: CyberTraceSettings = { ...S, feedFieldRenames: { 'RE--OLD-': 'RE_NEW' } };
    expect(xmllint(settingsToXmlFragment(s))).toBe('');
  });
});

describe('settingsToSheet', () => {
  const sheet = settingsToSheet(S, 'CyberTrace settings for FortiSIEM');

  it('names every element and holds every value exactly', () => {
    expect(sheet.startsWith('# CyberTrace settings for FortiSIEM\n')).toBe(true);
    for (const path of [
      'InputSettings > ConnectionString',
      'InputSettings > EventDelimiter',
      'OutputSettings > ConnectionString',
      'OutputSettings > EventFormat',
      'OutputSettings > AlertFormat',
      'OutputSettings > RecordFieldContextFormat',
      'OutputSettings > ActionableFieldContextFormat',
      'OutputSettings > FinishedEventFormat',
    ]) {
      expect(sheet).toContain(`| \`${path}\``);
    }
    const o = S.output;
    for (const v of [S.input.connectionString, o.connectionString]) expect(sheet).toContain(`| \`${v}\` |`);
    // Long or markup-bearing values sit alone on a line of a fenced block, byte for byte.
    for (const v of [S.input.eventDelimiter!, o.eventFormat, o.alertFormat!, o.recordFieldContextFormat, o.actionableFieldContextFormat]) {
      expect(sheet).toContain(`\n${v}\n\`\`\``);
    }
    expect(sheet).toContain('| `OutputSettings > FinishedEventFormat`, attribute `enabled` | `false` |');
  });

  it('makes trailing spaces visible', () => {
    expect(sheet).toMatch(/`OutputSettings > ActionableFieldContextFormat` \| .* \| ends with 1 space; keep it \|/);
    expect(sheet).toContain('The value ends with 1 space; keep it.');
    expect(sheet).toContain('<ActionableFieldContextFormat><![CDATA[%ParamName%=%ParamValue% ]]></ActionableFieldContextFormat>');
  });

  it('lists the regexps with name, type, extract, purpose and pattern', () => {
    for (const r of S.input.regexps) {
      // In the table a pipe is written \| (GFM reads it back as |).
      expect(sheet).toContain(`| \`${r.name}\` | ${r.type} | ${r.extract} | ${r.purpose.replace(/\|/g, '\\|')} | \`${r.pattern.replace(/\|/g, '\\|')}\` |`);
      // The exact element, copyable.
      expect(sheet).toContain(`  <${r.name} type="${r.type}" extract="${r.extract}">`);
      expect(sheet).toContain(r.pattern);
    }
  });

  it('lists the feed renames', () => {
    for (const [from, to] of Object.entries(S.feedFieldRenames)) expect(sheet).toContain(`| \`${from}\` | \`${to}\` |`);
  });

  it('says what is left alone when the connector does not set it', () => {
    const s = settingsToSheet({ ...S, input: { ...S.input, eventDelimiter: undefined }, output: { ...S.output, alertFormat: undefined } }, 't');
    expect(s).toMatch(/\| `InputSettings > EventDelimiter` \| not set by this integration \| keep the existing one \|/);
    expect(s).toMatch(/\| `OutputSettings > AlertFormat` \| not set by this integration \| keep the existing one/);
  });

  it('keeps values with backticks and edge spaces exact', () => {
    const s = settingsToSheet(tricky, 't');
    expect(s).toContain('| `QUOTES` | CONTEXT | first | quotes \\| pipes \\`ticks\\` | ``"\'`x`\\|y`` |');
    // Markdown strips one space from each end of a code span, so one is added to each end.
    expect(s).toContain('| `EDGES` | CONTEXT | first | leading spaces, trailing tab | `   spaced\t ` (starts with 2 spaces, ends with 1 tab; keep them) |');
    expect(s).toContain('\n <b>&amp;]]> \n```');
    expect(s).toContain('The value starts with 1 space, ends with 1 space; keep them.');
  });
});
