/**
 * enrichment-rule.json and enrichment-rule.schema.json, both generated from the field table in
 * rule-fields.ts for the KUMA version family of the site.
 */
import type { Site } from '../../src/connector/index.js';
import { kumaOptions } from './options.js';

export { kumaOptions };
import { fieldsFor, RULE_FIELDS, type KumaFamily, type RuleField } from './rule-fields.js';

/** Identifies this project's format, so a future change of keys can be told apart. */
export const RULE_FORMAT = 'ctconnect.kuma-enrichment-rule/1';
export const RULE_FILE = 'kuma/enrichment-rule.json';
export const RULE_SCHEMA_FILE = 'kuma/enrichment-rule.schema.json';

export interface ResolvedRule {
  family: KumaFamily;
  /** Values by JSON key, in table order, only the fields of this family. */
  values: Record<string, unknown>;
}

/** The site's value of a field (or the table default, which is in site form too), in its JSON form. */
function valueOf(f: RuleField, site: Site, family: KumaFamily): unknown {
  const given = (kumaOptions(site).rule as Record<string, unknown>)[f.siteKey];
  const value = given === undefined ? f.default({ site, family }) : given;
  if (f.columns) {
    return (value as Array<Record<string, unknown>>).map((row) => Object.fromEntries(f.columns!.map((c) => [c.jsonKey, row[c.siteKey]])));
  }
  return value;
}

export function resolveRule(site: Site): ResolvedRule {
  const family = kumaOptions(site).version;
  const values: Record<string, unknown> = {};
  for (const f of fieldsFor(family)) values[f.jsonKey] = valueOf(f, site, family);
  return { family, values };
}

export function ruleDocument(site: Site): Record<string, unknown> {
  const r = resolveRule(site);
  return { $schema: './enrichment-rule.schema.json', format: RULE_FORMAT, kumaVersion: r.family, rule: r.values };
}

export function ruleJson(site: Site): string {
  return JSON.stringify(ruleDocument(site), null, 2) + '\n';
}

function fieldSchema(f: RuleField): Record<string, unknown> {
  const since = `KUMA console field "${f.consoleField}" (KUMA ${f.since} and later): ${f.help}. Default: ${f.defaultText}.`;
  const valueNotes = Object.entries(f.valueSince ?? {})
    .map(([v, s]) => ` "${v}" exists from KUMA ${s}.`)
    .join('');
  if (f.type === 'table') return { type: 'array', minItems: 1, items: f.schema, description: since };
  return { ...f.schema, description: since + valueNotes };
}

/** JSON Schema (draft-07) of enrichment-rule.json for one KUMA version family. */
export function ruleSchema(family: KumaFamily): Record<string, unknown> {
  const fields = fieldsFor(family);
  const properties: Record<string, unknown> = {};
  for (const f of fields) properties[f.jsonKey] = fieldSchema(f);
  const absent = RULE_FIELDS.filter((f) => !fields.includes(f)).map((f) => `${f.jsonKey} (KUMA ${f.since})`);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `KUMA enrichment rule for Kaspersky CyberTrace (KUMA ${family})`,
    description:
      "This project's format: KUMA does not publish the key names of its enrichment-rule resource. Each key is described with the " +
      'KUMA console field it stands for; enter the values in Resources → Enrichment rules.' +
      (absent.length ? ` Fields of later KUMA versions not in ${family}: ${absent.join(', ')}.` : ''),
    type: 'object',
    additionalProperties: false,
    required: ['format', 'kumaVersion', 'rule'],
    properties: {
      $schema: { type: 'string' },
      format: { const: RULE_FORMAT },
      kumaVersion: { const: family },
      rule: { type: 'object', additionalProperties: false, required: fields.map((f) => f.jsonKey), properties },
    },
  };
}
