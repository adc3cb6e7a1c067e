/**
 * Site-file options of the KUMA connector (`siems.kuma`). The `rule` section is generated from
 * the enrichment-rule table (rule-fields.ts), so the site file, the JSON and its schema accept
 * the same values. Length limits are checked in check.ts instead of here, so that a too-long
 * description is reported by its length rather than by repeating 4000 characters.
 */
import { hostAddress, type OptionsOf, portNumber, siteOptions } from '../../src/connector/index.js';
import { KUMA_FAMILIES, RULE_FIELDS, type IndicatorType, type RuleField } from './rule-fields.js';
import { type CyberTraceMajor } from './endpoints.js';

export interface MappingRowOption {
  field: string;
  indicator: IndicatorType;
}

/** `siems.kuma.rule`: every key optional, the table gives the defaults. Its schema is generated from that table (rule-fields.ts), so its type is written here. */
export interface RuleOptions {
  name?: string;
  tenant?: string;
  source_kind?: 'cybertrace' | 'cybertrace-http';
  url?: string;
  secret?: string;
  connections?: number;
  rps?: number;
  timeout?: number;
  queue_limit?: number;
  cybertrace_major?: CyberTraceMajor;
  mapping?: MappingRowOption[];
  debug?: boolean;
  description?: string;
  filter?: string;
}

/** The site-file schema of one value: the JSON schema without length limits, null or the JSON key names. */
function siteValueSchema(f: RuleField): Record<string, unknown> {
  const strip = (s: Record<string, unknown>): Record<string, unknown> => {
    const { minLength: _min, maxLength: _max, ...rest } = s;
    return rest;
  };
  if (f.type === 'table' && f.columns) {
    const properties: Record<string, unknown> = {};
    for (const c of f.columns) properties[c.siteKey] = c.schema;
    return {
      type: 'array',
      minItems: 1,
      items: { type: 'object', additionalProperties: false, required: f.columns.map((c) => c.siteKey), properties },
    };
  }
  const anyOf = f.schema.anyOf as Array<Record<string, unknown>> | undefined;
  // In the site file an optional field is left out rather than set to null.
  if (anyOf) return strip(anyOf.find((s) => s.type !== 'null') ?? {});
  return strip(f.schema);
}

function ruleOptionsSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of RULE_FIELDS) {
    // A value's own description wins: the loader words pattern errors as "must be <description>".
    const schema = siteValueSchema(f);
    // A field whose own pattern admits line breaks (Description) tells the loader so; others get no control characters at all.
    const multiline = typeof schema.pattern === 'string' && new RegExp(schema.pattern, 'u').test('line one\nline two');
    properties[f.siteKey] = { description: `${f.consoleField} (KUMA ${f.since} and later): ${f.help}`, ...schema, ...(multiline ? { multiline: true } : {}) };
  }
  return { type: 'object', additionalProperties: false, default: {}, properties };
}

/** A KUMA resource name: what the console accepts, without control characters. */
const resourceName = { type: 'string', pattern: '^[^\\u0000-\\u001f\\u007f]{1,128}$', description: '1 to 128 characters on one line' } as const;

export const kumaOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { enum: [...KUMA_FAMILIES], default: '3.x' },
    rule: ruleOptionsSchema(),
    console: {
      type: 'object',
      additionalProperties: false,
      required: ['secret'],
      properties: {
        host: hostAddress,
        port: { ...portNumber, default: 443 },
        allowed_hosts: { type: 'array', uniqueItems: true, items: hostAddress, default: [] },
        // Only the NAME of the KUMA secret: user and password are entered in KUMA, never here.
        secret: resourceName,
      },
    },
  },
} as const;

/** `siems.kuma`: typed by its schema, except `rule`, whose schema is built from the field table. */
export type KumaOptions = Omit<OptionsOf<typeof kumaOptionsSchema>, 'rule'> & { rule: RuleOptions };
export type ConsoleOptions = NonNullable<KumaOptions['console']>;

export const kumaOptions = siteOptions<typeof kumaOptionsSchema, KumaOptions>('kuma', kumaOptionsSchema);
