/** enrichment-rule.json against its own JSON Schema (Ajv), both generated from rule-fields.ts. */
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { bundleFor, exampleSite, fileText, siteFromYaml } from '../helpers/bundles.js';
import { ruleDocument, ruleSchema } from '../../connectors/kuma/enrichment-rule.js';
import { fieldsFor, RULE_FIELDS, type KumaFamily } from '../../connectors/kuma/rule-fields.js';
import type { Site } from '../../src/model/site.js';

function validatorFor(family: KumaFamily) {
  const ajv = new Ajv({ allErrors: true, strict: true });
  return ajv.compile(ruleSchema(family));
}

/** The schema errors of `doc` as text, '' when it is valid. */
function schemaErrors(family: KumaFamily, doc: unknown): string {
  const validate = validatorFor(family);
  return validate(doc) ? '' : JSON.stringify(validate.errors);
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function kumaSite(kumaYaml: string, ctVersion = '4.x'): Site {
  return siteFromYaml(`cybertrace:\n  address: 192.0.2.10\n  version: "${ctVersion}"\nsiems:\n  kuma:\n${kumaYaml.replace(/^/gm, '    ')}\n`);
}

describe('enrichment-rule.json', () => {
  it('of the example site validates against the schema in the same bundle', async () => {
    const b = await bundleFor('kuma');
    const doc = JSON.parse(fileText(b, 'kuma/enrichment-rule.json'));
    const schema = JSON.parse(fileText(b, 'kuma/enrichment-rule.schema.json'));
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('has the table keys, in table order, with the defaults of the KUMA help (3.x)', () => {
    const doc = ruleDocument(kumaSite('version: "3.x"'));
    const rule = doc.rule as Record<string, unknown>;
    expect(Object.keys(rule)).toEqual(fieldsFor('3.x').map((f) => f.jsonKey));
    expect(rule).toEqual({
      name: 'Kaspersky CyberTrace',
      tenant: 'Main',
      sourceKind: 'cybertrace',
      url: '192.0.2.10:9999',
      connections: null,
      rps: 1000,
      timeout: 30,
      mapping: [
        { kumaField: 'SourceAddress', indicator: 'ip' },
        { kumaField: 'DestinationAddress', indicator: 'ip' },
        { kumaField: 'RequestUrl', indicator: 'url' },
        { kumaField: 'FileHash', indicator: 'hash' },
      ],
      debug: false,
      description: '',
      filter: null,
    });
    expect(schemaErrors('3.x', doc)).toBe('');
  });

  it('adds the KUMA 4.0 fields for version 4.x, with their defaults', () => {
    const doc = ruleDocument(kumaSite('version: "4.x"'));
    const rule = doc.rule as Record<string, unknown>;
    expect(doc.kumaVersion).toBe('4.x');
    expect(rule.sourceKind).toBe('cybertrace-http');
    expect(rule.queueLimit).toBe(1_000_000);
    expect(rule.cybertraceMajorVersion).toBe('<5');
    // cybertrace-http sends credentials: the rule names a secret (the console asks for one with this kind).
    expect(rule.secret).toBe('Kaspersky CyberTrace API');
    expect(schemaErrors('4.x', doc)).toBe('');
  });

  it('takes the site values, mapping rows renamed to the JSON keys', () => {
    const doc = ruleDocument(
      kumaSite(`version: "4.x"
rule:
  name: TI lookups
  tenant: SOC
  url: ct.example.com:19999
  secret: CyberTrace API
  connections: 4
  rps: 50
  timeout: 5
  queue_limit: 2000
  mapping: [{ field: DeviceCustomString1, indicator: url }]
  debug: true
  filter: Only proxies`),
    );
    expect(doc.rule).toMatchObject({
      name: 'TI lookups',
      tenant: 'SOC',
      url: 'ct.example.com:19999',
      secret: 'CyberTrace API',
      connections: 4,
      rps: 50,
      timeout: 5,
      queueLimit: 2000,
      mapping: [{ kumaField: 'DeviceCustomString1', indicator: 'url' }],
      debug: true,
      filter: 'Only proxies',
    });
    expect(schemaErrors('4.x', doc)).toBe('');
  });
});

describe('the schema refuses bad edits', () => {
  const good = ruleDocument(kumaSite('version: "4.x"'));
  const bad: Array<[string, (r: Record<string, unknown>, doc: Record<string, unknown>) => void, RegExp]> = [
    ['a name of 129 characters', (r) => (r.name = 'n'.repeat(129)), /\/rule\/name/],
    ['an empty name', (r) => (r.name = ''), /\/rule\/name/],
    ['a description of 4001 characters', (r) => (r.description = 'd'.repeat(4001)), /\/rule\/description/],
    ['no mapping rows', (r) => (r.mapping = []), /\/rule\/mapping/],
    ['indicator md5', (r) => ((r.mapping as Array<Record<string, unknown>>)[0].indicator = 'md5'), /\/rule\/mapping\/0\/indicator/],
    ['an unknown KUMA field', (r) => ((r.mapping as Array<Record<string, unknown>>)[0].kumaField = 'SourceAdress'), /\/rule\/mapping\/0\/kumaField/],
    ['rps 0', (r) => (r.rps = 0), /\/rule\/rps/],
    ['timeout 1.5', (r) => (r.timeout = 1.5), /\/rule\/timeout/],
    ['connections -1', (r) => (r.connections = -1), /\/rule\/connections/],
    ['a URL without port', (r) => (r.url = 'ct.example.com'), /\/rule\/url/],
    ['a URL with port 70000', (r) => (r.url = 'ct.example.com:70000'), /\/rule\/url/],
    ['source kind http', (r) => (r.sourceKind = 'http'), /\/rule\/sourceKind/],
    ['an unknown key', (r) => (r.password = 'secret'), /additionalProperties|password/],
    ['a missing key', (r) => delete r.rps, /rps/],
    ['another format', (_r, d) => (d.format = 'other/1'), /\/format/],
    ['a name with a line break', (r) => (r.name = 'a\nb'), /\/rule\/name/],
  ];
  it.each(bad)('%s', (_what, mutate, where) => {
    const doc = clone(good);
    mutate(doc.rule as Record<string, unknown>, doc);
    const validate = validatorFor('4.x');
    expect(validate(doc)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(where);
  });

  it('refuses KUMA 4.0 fields in a 3.x rule', () => {
    const doc = clone(ruleDocument(kumaSite('version: "3.x"')));
    (doc.rule as Record<string, unknown>).queueLimit = 1_000_000;
    const validate = validatorFor('3.x');
    expect(validate(doc)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(/queueLimit/);
  });

  it('accepts extended schema string fields (S.<name>) and a multi-line description', () => {
    const doc = clone(good);
    const rule = doc.rule as Record<string, unknown>;
    (rule.mapping as Array<Record<string, unknown>>)[0].kumaField = 'S.ProxyUrl';
    rule.description = 'line one\nline two\ttabbed';
    expect(schemaErrors('4.x', doc)).toBe('');
  });

  it('describes every key with its KUMA console field', () => {
    const props = (ruleSchema('4.x').properties as Record<string, { properties: Record<string, { description: string }> }>).rule.properties;
    for (const f of RULE_FIELDS) expect(props[f.jsonKey].description).toContain(`"${f.consoleField}"`);
  });
});

describe('the example site', () => {
  it('is the one the bundle was built from', () => {
    expect(exampleSite().siems.kuma).toBeDefined();
  });
});
