import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigPatchError, decodeConfigBytes, patchFeedServiceConfig } from '../../src/cybertrace/patch.js';
import type { CyberTraceSettings } from '../../src/model/cybertrace.js';
import { fortisiemSettings } from './fixtures/fortisiem-settings.js';
import { all, at, readXml, xmllint, type Node } from './fixtures/xml-read.js';

// The CLI module imports the registry and the site loader; the file-level tests only need patchConfigFile.
vi.mock('../../connectors/registry.js', () => ({
  getConnector: () => {
    throw new Error('not used here');
  },
}));
vi.mock('../../src/config/load.js', () => ({
  loadSite: () => {
    throw new Error('not used here');
  },
}));
const { patchConfigFile } = await import('../../src/cli/cybertrace.js');
const { UserError } = await import('../../src/kernel/errors.js');

const FIXTURE = readFileSync(new URL('./fixtures/kl_feed_service.conf', import.meta.url), 'utf8');
const S = fortisiemSettings();

const defaultSource = (c: Node): boolean => c.attrs.id === 'default';
const TEXT_PATHS = [
  'InputSettings/ConnectionString',
  'InputSettings/EventDelimiter',
  'OutputSettings/ConnectionString',
  'OutputSettings/EventFormat',
  'OutputSettings/AlertFormat',
  'OutputSettings/RecordFieldContextFormat',
  'OutputSettings/ActionableFieldContextFormat',
];

/** The text with every part the patch may change replaced by a marker; equal results = nothing else changed. */
function masked(text: string): string {
  const root = readXml(text);
  const ranges: Array<[number, number]> = TEXT_PATHS.map((p) => {
    const n = at(root, p);
    return [n.openEnd, n.closeStart];
  });
  const src = at(root, 'InputSettings/RegExps/Source', defaultSource);
  ranges.push([src.start, src.end]);
  ranges.push(at(root, 'OutputSettings/FinishedEventFormat').attrRanges.enabled);
  for (const f of all(at(root, 'Feeds'), (n) => /^RE_(MD5|SHA1|SHA256|HASH)$/.test(n.attrs.input_regexp_to_match ?? ''))) {
    ranges.push(f.attrRanges.input_regexp_to_match);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [s, e] of ranges) {
    out += text.slice(pos, s) + '\u0000';
    pos = e;
  }
  return out + text.slice(pos);
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

function thrown(f: () => unknown): ConfigPatchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigPatchError);
    return e as ConfigPatchError;
  }
  throw new Error('expected a ConfigPatchError');
}

describe('patchFeedServiceConfig', () => {
  const r = patchFeedServiceConfig(FIXTURE, S);
  const root = readXml(r.text);

  it('gives a well-formed file', () => {
    expect(r.changed).toBe(true);
    expect(xmllint(r.text)).toBe('');
    expect(root.name).toBe('Configuration');
  });

  it('sets every element the connector owns', () => {
    expect(at(root, 'InputSettings/ConnectionString').text).toBe(S.input.connectionString);
    expect(at(root, 'InputSettings/EventDelimiter').text).toBe(S.input.eventDelimiter);
    expect(at(root, 'OutputSettings/ConnectionString').text).toBe(S.output.connectionString);
    expect(at(root, 'OutputSettings/EventFormat').text).toBe(S.output.eventFormat);
    expect(at(root, 'OutputSettings/AlertFormat').text).toBe(S.output.alertFormat);
    expect(at(root, 'OutputSettings/RecordFieldContextFormat').text).toBe('%ParamName%:%ParamValue% ');
    expect(at(root, 'OutputSettings/ActionableFieldContextFormat').text).toBe('%ParamName%=%ParamValue% ');
    expect(at(root, 'OutputSettings/FinishedEventFormat').attrs.enabled).toBe('false');
    expect(at(root, 'OutputSettings/FinishedEventFormat').text).toBe('LookupFinished');
    const src = at(root, 'InputSettings/RegExps/Source', defaultSource);
    expect(src.children.map((c) => ({ name: c.name, type: c.attrs.type, extract: c.attrs.extract, pattern: c.text }))).toEqual(
      S.input.regexps.map((x) => ({ name: x.name, type: x.type, extract: x.extract, pattern: x.pattern })),
    );
    expect(Object.keys(src.attrs)).toEqual(['id']);
  });

  it('keeps every byte outside the changed elements', () => {
    expect(masked(r.text)).toBe(masked(FIXTURE));
    // The comparison itself must notice a change elsewhere.
    expect(masked(r.text.replace('<Level>Info</Level>', '<Level>Debug</Level>'))).not.toBe(masked(FIXTURE));
    expect(masked(r.text.replace('<!-- Log Scanner defaults -->', '<!-- -->'))).not.toBe(masked(FIXTURE));
    expect(r.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!--\n')).toBe(true);
  });

  it('keeps the other Source and the untouched output elements as they were', () => {
    const slice = (t: string, n: Node): string => t.slice(n.start, n.end);
    const before = readXml(FIXTURE);
    const fw = (c: Node): boolean => c.attrs.id === 'fw';
    expect(slice(r.text, at(root, 'InputSettings/RegExps/Source', fw))).toBe(slice(FIXTURE, at(before, 'InputSettings/RegExps/Source', fw)));
    expect(at(root, 'InputSettings/RegExps/Source', fw).attrs.ip).toBe('10.1.1.1');
    expect(at(root, 'OutputSettings/AlertConnectionString').text).toBe('127.0.0.1:9997');
  });

  it('renames the hash fields in Feeds and nothing else there', () => {
    const fields = all(at(root, 'Feeds'), (n) => n.name === 'Field');
    const before = all(at(readXml(FIXTURE), 'Feeds'), (n) => n.name === 'Field');
    expect(fields.map((f) => f.attrs.input_regexp_to_match)).toEqual(
      before.map((f) => S.feedFieldRenames[f.attrs.input_regexp_to_match] ?? f.attrs.input_regexp_to_match),
    );
    expect(fields.filter((f) => f.attrs.input_regexp_to_match === 'RE_HASH')).toHaveLength(6);
    expect(fields.filter((f) => f.attrs.input_regexp_to_match === 'RE_URL')).toHaveLength(4);
    // Comments and the single-quoted attribute keep their form.
    expect(r.text).toContain(`<!-- disabled: <Field name="MD5" matching_type="Hash" input_regexp_to_match="RE_MD5" category="KL_APT_Hash_MD5"/> -->`);
    expect(r.text).toContain(`input_regexp_to_match='RE_HASH' category="KL_APT_Hash_MD5"`);
    expect(r.changes).toEqual(
      expect.arrayContaining([
        'Feeds: 2 input_regexp_to_match renamed RE_MD5→RE_HASH',
        'Feeds: 2 input_regexp_to_match renamed RE_SHA1→RE_HASH',
        'Feeds: 2 input_regexp_to_match renamed RE_SHA256→RE_HASH',
      ]),
    );
  });

  it('lists what it changed', () => {
    expect(r.changes).toEqual(
      expect.arrayContaining([
        'InputSettings/ConnectionString: replaced',
        'InputSettings/EventDelimiter: replaced',
        'OutputSettings/EventFormat: replaced',
        'OutputSettings/FinishedEventFormat: enabled set to false',
      ]),
    );
    expect(r.changes.some((c) => c.startsWith('InputSettings/RegExps/Source[id=default]: replaced (9 regexps'))).toBe(true);
  });

  it('writes regexps and formats readably (CDATA where needed, trailing space visible)', () => {
    expect(r.text).toContain('<ActionableFieldContextFormat><![CDATA[%ParamName%=%ParamValue% ]]></ActionableFieldContextFormat>');
    expect(r.text).toContain('<EventDelimiter><![CDATA[[^\\=](\\<\\d+\\>)]]></EventDelimiter>');
    expect(r.text).toContain('<RE_HASH type="HASH" extract="all">([\\da-fA-F]{32,64})</RE_HASH>');
    // Regexps sit one level below Source, as in the rest of the file.
    expect(r.text).toContain('\n            <Source id="default">\n                <RE_HASH ');
    expect(r.text).toContain('</UserName>\n            </Source>\n            <Source id="fw"');
  });

  it('changes nothing the second time', () => {
    const again = patchFeedServiceConfig(r.text, S);
    expect(again.changed).toBe(false);
    expect(again.text).toBe(r.text);
    expect(again.changes.filter((c) => !c.includes('kept'))).toEqual([]);
  });

  it('keeps CRLF line endings', () => {
    const crlf = FIXTURE.replace(/\n/g, '\r\n');
    const out = patchFeedServiceConfig(crlf, S);
    expect(out.text).not.toMatch(/[^\r]\n/);
    expect(out.text).toBe(r.text.replace(/\n/g, '\r\n'));
    expect(xmllint(out.text)).toBe('');
    expect(patchFeedServiceConfig(out.text, S).changed).toBe(false);
  });

  it('keeps a byte-order mark and the declaration', () => {
    const out = patchFeedServiceConfig('\uFEFF' + FIXTURE, S);
    expect(out.text).toBe('\uFEFF' + r.text);
  });
});

describe('a normalizing rule entered in CyberTrace Web', () => {
  // Its element is not a regexp (no type attribute); whatever it is called, a patch keeps it.
  const RULE = '<NormalizingRules><Replace input="\\=" output="="/></NormalizingRules>';
  const withRule = FIXTURE.replace('<Source id="default">\n', `<Source id="default">\n                ${RULE}\n`);

  it('is kept, in front of the regexps, when the regexps are replaced; a second patch changes nothing', () => {
    expect(withRule).not.toBe(FIXTURE);
    const first = patchFeedServiceConfig(withRule, S);
    expect(xmllint(first.text)).toBe('');
    const source = first.text.slice(first.text.indexOf('<Source id="default">'), first.text.indexOf('</Source>'));
    expect(source.indexOf(RULE)).toBeGreaterThan(0);
    expect(source.indexOf(RULE)).toBeLessThan(source.indexOf(`<${S.input.regexps[0].name} `));
    expect(first.changes.join('\n')).toContain('1 other element kept');
    const second = patchFeedServiceConfig(first.text, S);
    expect(second.text).toBe(first.text);
  });
});

describe('refusing input', () => {
  it('names line:column of malformed XML', () => {
    const broken = FIXTURE.replace('</EventFormat>', '</EventFormt>');
    const e = thrown(() => patchFeedServiceConfig(broken, S));
    expect(e.line).toBe(lineOf(broken, '</EventFormt>'));
    expect(e.message).toMatch(new RegExp(`^${e.line}:${e.column}: .*close tag`));
  });

  it.each([
    ['an unclosed element', FIXTURE.replace('</Configuration>', ''), /unclosed tag/],
    ['a duplicate attribute', FIXTURE.replace('<Feeds per_scan', '<Feeds update_frequency="1" per_scan'), /duplicate attribute/],
    ['an undefined entity', FIXTURE.replace('p&amp;ss', 'p&ss;'), /undefined entity/],
    ['text that is not XML', 'ConnectionString=0.0.0.0:9999\n', /outside of root/],
    ['an empty file', '', /root element/],
  ])('refuses %s', (_what, text, reason) => {
    const e = thrown(() => patchFeedServiceConfig(text, S));
    expect(e.message).toMatch(/^\d+:\d+: /);
    expect(e.reason).toMatch(reason);
  });

  it('refuses a root other than Configuration', () => {
    const e = thrown(() => patchFeedServiceConfig('<?xml version="1.0"?>\n<Settings>\n</Settings>\n', S));
    expect(e.line).toBe(2);
    expect(e.reason).toMatch(/<Settings>.*<Configuration>/);
  });

  it('refuses an element it sets appearing twice', () => {
    const twice = FIXTURE.replace('<EventFormat>', '<EventFormat>x</EventFormat>\n        <EventFormat>');
    const e = thrown(() => patchFeedServiceConfig(twice, S));
    expect(e.reason).toMatch(/OutputSettings\/EventFormat appears 2 times/);
    expect(e.line).toBe(lineOf(twice, '<EventFormat>') + 1);
  });

  it('refuses the 5.x layout', () => {
    const e = thrown(() => patchFeedServiceConfig('<Configuration>\n  <Domains><Domain/></Domains>\n</Configuration>', S));
    expect(e.reason).toMatch(/5\.x/);
    expect(e.line).toBe(2);
  });
});

describe('creating and leaving elements', () => {
  it('creates missing elements at the end of their parent, indented like the siblings', () => {
    const text = FIXTURE.replace(/ *<AlertFormat>.*\n/, '')
      .replace(/ *<FinishedEventFormat.*\n/, '')
      .replace(/ *<EventDelimiter>.*\n/, '');
    const out = patchFeedServiceConfig(text, S);
    expect(xmllint(out.text)).toBe('');
    const root = readXml(out.text);
    expect(at(root, 'OutputSettings').children.map((c) => c.name)).toEqual([
      'ConnectionString',
      'EventFormat',
      'AlertConnectionString',
      'RecordFieldContextFormat',
      'ActionableFieldContextFormat',
      'AlertFormat',
      'FinishedEventFormat',
    ]);
    expect(out.text).toContain(
      '<ActionableFieldContextFormat><![CDATA[%ParamName%=%ParamValue% ]]></ActionableFieldContextFormat>\n' +
        '        <AlertFormat>CEF:0|Kaspersky|CyberTrace|3.1|1|CyberTrace Service Event|4|reason=%Alert% msg=%RecordContext%</AlertFormat>\n' +
        '        <FinishedEventFormat enabled="false">LookupFinished</FinishedEventFormat>\n    </OutputSettings>',
    );
    expect(at(root, 'InputSettings').children.map((c) => c.name)).toEqual(['ConnectionString', 'RegExps', 'EventDelimiter']);
    expect(out.changes).toEqual(expect.arrayContaining(['OutputSettings/AlertFormat: created', 'InputSettings/EventDelimiter: created']));
    expect(patchFeedServiceConfig(out.text, S).changed).toBe(false);
  });

  it('builds everything in a bare Configuration', () => {
    for (const bare of [
      '<Configuration/>',
      '<Configuration></Configuration>\n',
      '<?xml version="1.0"?>\r\n<Configuration>\r\n  <Feeds/>\r\n</Configuration>\r\n',
    ]) {
      const out = patchFeedServiceConfig(bare, S);
      expect(xmllint(out.text)).toBe('');
      const root = readXml(out.text);
      expect(at(root, 'OutputSettings/EventFormat').text).toBe(S.output.eventFormat);
      expect(at(root, 'InputSettings/RegExps/Source', defaultSource).children).toHaveLength(S.input.regexps.length);
      expect(patchFeedServiceConfig(out.text, S).text).toBe(out.text);
      if (bare.includes('\r\n')) expect(out.text).not.toMatch(/[^\r]\n/);
    }
  });

  it('leaves an existing AlertFormat alone when the settings have none, and says so', () => {
    const s: CyberTraceSettings = { ...S, output: { ...S.output, alertFormat: undefined } };
    const out = patchFeedServiceConfig(FIXTURE, s);
    expect(at(readXml(out.text), 'OutputSettings/AlertFormat').text).toBe('%Date% alert=%Alert%|%RecordContext%');
    expect(out.changes.some((c) => /AlertFormat: kept/.test(c))).toBe(true);
    // Without an EventDelimiter in the settings the file's one stays too.
    const s2: CyberTraceSettings = { ...S, input: { ...S.input, eventDelimiter: undefined } };
    expect(at(readXml(patchFeedServiceConfig(FIXTURE, s2).text), 'InputSettings/EventDelimiter').text).toBe(String.raw`(?:^|\n)`);
  });

  it('adds enabled to a FinishedEventFormat that lacks it, self-closing or not', () => {
    for (const el of ['<FinishedEventFormat/>', '<FinishedEventFormat>LookupFinished</FinishedEventFormat>']) {
      const out = patchFeedServiceConfig(FIXTURE.replace(/<FinishedEventFormat.*<\/FinishedEventFormat>/, el), S);
      expect(at(readXml(out.text), 'OutputSettings/FinishedEventFormat').attrs.enabled).toBe('false');
      expect(out.text).toContain(el.replace('<FinishedEventFormat', '<FinishedEventFormat enabled="false"'));
    }
  });

  it('fills a self-closing text element', () => {
    const out = patchFeedServiceConfig(FIXTURE.replace(/<EventFormat>.*<\/EventFormat>/, '<EventFormat />'), S);
    expect(at(readXml(out.text), 'OutputSettings/EventFormat').text).toBe(S.output.eventFormat);
  });

  it('round-trips values that need escaping', () => {
    const s: CyberTraceSettings = {
      ...S,
      input: { ...S.input, regexps: [{ name: 'X', type: 'CONTEXT', extract: 'first', pattern: 'a]]>b<c&d"e', purpose: '' }] },
      output: { ...S.output, eventFormat: ' x]]>]]> & <y> ' },
    };
    const out = patchFeedServiceConfig(FIXTURE, s);
    expect(xmllint(out.text)).toBe('');
    const root = readXml(out.text);
    expect(at(root, 'OutputSettings/EventFormat').text).toBe(' x]]>]]> & <y> ');
    expect(at(root, 'InputSettings/RegExps/Source', defaultSource).children[0].text).toBe('a]]>b<c&d"e');
    expect(patchFeedServiceConfig(out.text, s).changed).toBe(false);
  });

  it('refuses chained feed renames, which would not be idempotent', () => {
    const s: CyberTraceSettings = { ...S, feedFieldRenames: { RE_MD5: 'RE_X', RE_X: 'RE_HASH' } };
    expect(() => patchFeedServiceConfig(FIXTURE, s)).toThrow(/chain RE_MD5→RE_X→RE_HASH/);
  });

  it('refuses a regexp name that is not an XML name, before changing anything', () => {
    const s: CyberTraceSettings = { ...S, input: { ...S.input, regexps: [{ name: '1st hash', type: 'HASH', extract: 'all', pattern: 'x', purpose: '' }] } };
    expect(() => patchFeedServiceConfig(FIXTURE, s)).toThrow(/not a valid XML element name/);
  });
});

describe('decodeConfigBytes', () => {
  it('reads UTF-8 and ISO-8859-1 files as declared and refuses others', () => {
    expect(decodeConfigBytes(Buffer.from('\uFEFF<Configuration/>', 'utf8'))).toEqual({ text: '\uFEFF<Configuration/>', encoding: 'utf8' });
    const latin = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><Configuration><a>\u00e9</a></Configuration>', 'latin1');
    expect(decodeConfigBytes(latin).encoding).toBe('latin1');
    expect(decodeConfigBytes(latin).text).toContain('\u00e9');
    expect(() => decodeConfigBytes(Buffer.from('<?xml version="1.0" encoding="windows-1251"?><Configuration/>'))).toThrow(/windows-1251/);
    expect(() => decodeConfigBytes(Buffer.from([0x3c, 0x61, 0xff, 0x3e]))).toThrow(/not valid UTF-8/);
  });
});

describe('patchConfigFile (cybertrace patch on disk)', () => {
  const now = new Date('2024-05-06T07:08:09.123Z');
  const fresh = (content: string | Buffer = FIXTURE): { dir: string; file: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'ctconnect-patch-'));
    const file = join(dir, 'kl_feed_service.conf');
    writeFileSync(file, content);
    return { dir, file };
  };

  it('a place it cannot write is a user error naming it; nothing is written', async () => {
    const { dir, file } = fresh();
    const out = join(dir, 'no-such-folder', 'kl_feed_service.conf');
    const e = await patchConfigFile({ inPath: file, outPath: out, backup: true, settings: S, now }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toBe(
      `--out ${out}: cannot write: the folder ${join(dir, 'no-such-folder')} does not exist: create it first or choose another path; ${out} was not changed`,
    );
    expect(readdirSync(dir)).toEqual(['kl_feed_service.conf']);
    expect(readFileSync(file, 'utf8')).toBe(FIXTURE);
  });

  it('patches in place, keeps a timestamped backup and the file mode, and reports a diff', async () => {
    const { dir, file } = fresh();
    chmodSync(file, 0o640);
    const r = await patchConfigFile({ inPath: file, backup: true, settings: S, now });
    expect(r.changed).toBe(true);
    expect(r.backupPath).toBe(`${file}.ctconnect-bak-20240506T070809Z`);
    expect(readFileSync(r.backupPath!, 'utf8')).toBe(FIXTURE);
    expect(readFileSync(file, 'utf8')).toBe(patchFeedServiceConfig(FIXTURE, S).text);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(r.diff).toContain('-        <ConnectionString>0.0.0.0:9999</ConnectionString>');
    expect(r.diff).toContain('+        <ConnectionString>10.43.11.15:9999</ConnectionString>');
    expect(readdirSync(dir).sort()).toEqual(['kl_feed_service.conf', 'kl_feed_service.conf.ctconnect-bak-20240506T070809Z']);

    const again = await patchConfigFile({ inPath: file, backup: true, settings: S, now });
    expect(again).toMatchObject({ changed: false, diff: '' });
    expect(again.written ?? again.backupPath).toBeUndefined();
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('never overwrites an earlier backup', async () => {
    const { file } = fresh();
    writeFileSync(`${file}.ctconnect-bak-20240506T070809Z`, 'older backup');
    const r = await patchConfigFile({ inPath: file, backup: true, settings: S, now });
    expect(r.backupPath).toBe(`${file}.ctconnect-bak-20240506T070809Z-2`);
    expect(readFileSync(`${file}.ctconnect-bak-20240506T070809Z`, 'utf8')).toBe('older backup');
  });

  it('writes to --out and leaves the input alone', async () => {
    const { dir, file } = fresh();
    const out = join(dir, 'new.conf');
    const r = await patchConfigFile({ inPath: file, outPath: out, backup: true, settings: S, now });
    expect(r.written).toBe(out);
    expect(r.backupPath).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(FIXTURE);
    expect(readFileSync(out, 'utf8')).toBe(patchFeedServiceConfig(FIXTURE, S).text);
  });

  it('with --no-backup writes no backup', async () => {
    const { dir, file } = fresh(FIXTURE.replace(/\n/g, '\r\n'));
    await patchConfigFile({ inPath: file, backup: false, settings: S, now });
    expect(readdirSync(dir)).toEqual(['kl_feed_service.conf']);
    expect(readFileSync(file, 'utf8')).toContain('\r\n');
  });

  it('refuses bad XML with file:line:column and writes nothing', async () => {
    const broken = FIXTURE.replace('</LogSettings>', '</LogSetting>');
    const { dir, file } = fresh(broken);
    const err = await patchConfigFile({ inPath: file, backup: true, settings: S, now }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${lineOf(broken, '</LogSetting>')}:\\d+: `));
    expect(readdirSync(dir)).toEqual(['kl_feed_service.conf']);
    expect(readFileSync(file, 'utf8')).toBe(broken);
  });
});
