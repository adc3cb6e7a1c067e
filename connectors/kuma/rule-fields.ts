/**
 * The one table of the KUMA enrichment-rule fields. KUMA does not publish the key names of its
 * enrichment-rule resource, so enrichment-rule.json is this project's format: each row says which
 * JSON key holds which field of the KUMA console, its type, default and the KUMA version that has
 * it. The JSON, its JSON Schema, the site-file options and the console steps of INSTALL.md are
 * all generated from this table (enrichment-rule.ts, options.ts).
 */
import type { Site } from '../../src/connector/index.js';
import { EXTENDED_STRING_FIELD_PATTERN, KNOWN_NORMALIZED_FIELDS } from './normalized-fields.js';
import { CYBERTRACE_MAJOR_VERSIONS, ruleEndpoint, type CyberTraceMajor, type SourceKind } from './endpoints.js';

/** KUMA version families the site file chooses between; each selects the fields that exist. */
export const KUMA_FAMILIES = ['3.x', '4.x'] as const;
export type KumaFamily = (typeof KUMA_FAMILIES)[number];

export const INDICATOR_TYPES = ['ip', 'url', 'hash'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export interface DefaultContext {
  site: Site;
  family: KumaFamily;
}

/** One column of a table-valued field (the mapping rows). */
export interface RuleColumn {
  jsonKey: string;
  siteKey: string;
  consoleField: string;
  schema: Record<string, unknown>;
}

export interface RuleField {
  /** Key in enrichment-rule.json. */
  jsonKey: string;
  /** Key under `siems.kuma.rule` in the site file. */
  siteKey: string;
  /** The label of the field in the KUMA console. */
  consoleField: string;
  type: 'text' | 'choice' | 'integer' | 'boolean' | 'table';
  /** JSON Schema of the value in enrichment-rule.json (for a table: of one row, keyed by jsonKey). */
  schema: Record<string, unknown>;
  /** The value's length limit in Unicode characters, checked with a plain message. */
  length?: { min: number; max: number };
  /** Columns of a table field. */
  columns?: RuleColumn[];
  /** Value (in site-file form) when the site file leaves the field out; null = leave the field empty / at KUMA's own default. */
  default: (ctx: DefaultContext) => unknown;
  /** The default as the docs describe it. */
  defaultText: string;
  /** First KUMA version whose console has the field. */
  since: string;
  /** Choice values that appeared later than the field itself. */
  valueSince?: Record<string, string>;
  /** What to do with the field in the console, one line. */
  help: string;
}

/** No control characters: the values are shown in the console and in INSTALL.md. */
const oneLine = '^[^\\u0000-\\u001f\\u007f]*$';
/** Text that may run over several lines (the Description box). */
const multiLine = '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$';
const resourceName = { type: 'string', minLength: 1, maxLength: 128, pattern: oneLine, description: 'text on one line, without control characters' } as const;
const positiveInteger = { type: 'integer', minimum: 1 } as const;

const HOST = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*';
const PORT = '(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

/** The mapping of the Kaspersky CyberTrace–KUMA integration guide usual setup: addresses → ip, request URL → url, file hash → hash. */
export const DEFAULT_MAPPING: ReadonlyArray<{ field: string; indicator: IndicatorType }> = [
  { field: 'SourceAddress', indicator: 'ip' },
  { field: 'DestinationAddress', indicator: 'ip' },
  { field: 'RequestUrl', indicator: 'url' },
  { field: 'FileHash', indicator: 'hash' },
];

/** The CyberTrace major version the site runs, from `cybertrace.version` ("4.x" → "<5"). */
export function cybertraceMajorOf(site: Site): CyberTraceMajor {
  return Number.parseInt(site.cybertrace.version, 10) >= 5 ? '>=5' : '<5';
}

/** KUMA 4.x defaults to the kind KUMA recommends from 3.2 on; 3.x to the kind every 1.5–3.x console has. */
function defaultSourceKind(family: KumaFamily): SourceKind {
  return family === '4.x' ? 'cybertrace-http' : 'cybertrace';
}

/** The secret name the rule uses when the site names none and the source kind sends credentials. */
export const DEFAULT_SECRET = 'Kaspersky CyberTrace API';

/** Source kind and CyberTrace major version as the site sets them, or their defaults. */
export function chosenPath(site: Site, family: KumaFamily): { sourceKind: SourceKind; major: CyberTraceMajor } {
  const rule = (site.siems.kuma as { rule?: { source_kind?: SourceKind; cybertrace_major?: CyberTraceMajor } } | undefined)?.rule ?? {};
  return { sourceKind: rule.source_kind ?? defaultSourceKind(family), major: rule.cybertrace_major ?? cybertraceMajorOf(site) };
}

export const RULE_FIELDS: readonly RuleField[] = [
  {
    jsonKey: 'name',
    siteKey: 'name',
    consoleField: 'Name',
    type: 'text',
    schema: resourceName,
    length: { min: 1, max: 128 },
    default: () => 'Kaspersky CyberTrace',
    defaultText: '"Kaspersky CyberTrace"',
    since: '1.5',
    help: 'a unique name, 1 to 128 Unicode characters',
  },
  {
    jsonKey: 'tenant',
    siteKey: 'tenant',
    consoleField: 'Tenant',
    type: 'choice',
    schema: resourceName,
    length: { min: 1, max: 128 },
    default: () => 'Main',
    defaultText: '"Main" (the tenant every KUMA installation has)',
    since: '1.5',
    help: 'the tenant that owns the rule',
  },
  {
    jsonKey: 'sourceKind',
    siteKey: 'source_kind',
    consoleField: 'Source kind',
    type: 'choice',
    schema: { type: 'string', enum: ['cybertrace', 'cybertrace-http'] },
    default: ({ family }) => defaultSourceKind(family),
    defaultText: '"cybertrace" for KUMA 3.x, "cybertrace-http" for KUMA 4.x',
    since: '1.5',
    valueSince: { 'cybertrace-http': '3.2' },
    help: 'cybertrace, or cybertrace-http (KUMA 3.2 and later; the one KUMA recommends from 3.2)',
  },
  {
    jsonKey: 'url',
    siteKey: 'url',
    consoleField: 'URL',
    type: 'text',
    schema: { type: 'string', pattern: `^${HOST}:${PORT}$`, description: 'host:port of the CyberTrace server, e.g. cybertrace.example.com:9999' },
    default: ({ site, family }) => {
      const { sourceKind, major } = chosenPath(site, family);
      return ruleEndpoint(sourceKind, major).hostPort(site);
    },
    defaultText:
      'cybertrace.address:cybertrace.input_port of the site file; for cybertrace-http with CyberTrace ≥ 5, host:port of cybertrace.http_api.url (default port 443)',
    since: '1.5',
    help: 'host:port of the CyberTrace server',
  },
  {
    jsonKey: 'secret',
    siteKey: 'secret',
    consoleField: 'Secret',
    type: 'choice',
    schema: { anyOf: [resourceName, { type: 'null' }] },
    length: { min: 1, max: 128 },
    default: ({ site, family }) => {
      const { sourceKind, major } = chosenPath(site, family);
      return ruleEndpoint(sourceKind, major).needsSecret ? DEFAULT_SECRET : null;
    },
    defaultText: `"${DEFAULT_SECRET}" for cybertrace-http (KUMA asks for a secret with that kind), none for cybertrace`,
    since: '4.0',
    help: 'the name of the KUMA secret that holds the CyberTrace credentials (Resources → Secrets)',
  },
  {
    jsonKey: 'connections',
    siteKey: 'connections',
    consoleField: 'Number of connections',
    type: 'integer',
    schema: { anyOf: [positiveInteger, { type: 'null' }] },
    default: () => null,
    defaultText: 'left empty: KUMA uses the number of vCPUs of the KUMA Core server',
    since: '1.5',
    help: 'the maximum number of simultaneous connections to CyberTrace',
  },
  {
    jsonKey: 'rps',
    siteKey: 'rps',
    consoleField: 'RPS',
    type: 'integer',
    schema: positiveInteger,
    default: () => 1000,
    defaultText: '1000',
    since: '1.5',
    help: 'requests per second KUMA may send to CyberTrace',
  },
  {
    jsonKey: 'timeout',
    siteKey: 'timeout',
    consoleField: 'Timeout',
    type: 'integer',
    schema: positiveInteger,
    default: () => 30,
    defaultText: '30 (seconds)',
    since: '1.5',
    help: 'seconds KUMA waits for the answer; until then the event is held, the answer goes into the TI field',
  },
  {
    jsonKey: 'queueLimit',
    siteKey: 'queue_limit',
    consoleField: 'Maximum number of events in enrichment queue',
    type: 'integer',
    schema: positiveInteger,
    default: () => 1_000_000,
    defaultText: '1000000',
    since: '4.0',
    help: 'events kept in the enrichment queue for re-sending',
  },
  {
    jsonKey: 'cybertraceMajorVersion',
    siteKey: 'cybertrace_major',
    consoleField: 'Major version of CyberTrace',
    type: 'choice',
    schema: { type: 'string', enum: [...CYBERTRACE_MAJOR_VERSIONS] },
    default: ({ site }) => cybertraceMajorOf(site),
    defaultText: 'from cybertrace.version of the site file ("3.x" / "4.x" → "<5")',
    since: '4.0',
    help: '<5 for CyberTrace 3.x/4.x, ≥ 5 for CyberTrace 5.0 and later',
  },
  {
    jsonKey: 'mapping',
    siteKey: 'mapping',
    consoleField: 'Mapping settings',
    type: 'table',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['kumaField', 'indicator'],
      properties: {
        kumaField: {
          type: 'string',
          anyOf: [{ enum: [...KNOWN_NORMALIZED_FIELDS] }, { pattern: EXTENDED_STRING_FIELD_PATTERN }],
          description: 'a text field of the KUMA normalized event data model, or an extended schema string field S.<name>',
        },
        indicator: { type: 'string', enum: [...INDICATOR_TYPES] },
      },
    },
    columns: [
      {
        jsonKey: 'kumaField',
        siteKey: 'field',
        consoleField: 'KUMA field',
        schema: { type: 'string', pattern: '^[^\\u0000-\\u001f\\u007f]{1,128}$', description: 'a KUMA event field name' },
      },
      { jsonKey: 'indicator', siteKey: 'indicator', consoleField: 'CyberTrace indicator', schema: { type: 'string', enum: [...INDICATOR_TYPES] } },
    ],
    default: () => DEFAULT_MAPPING.map((r) => ({ ...r })),
    defaultText: 'SourceAddress → ip, DestinationAddress → ip, RequestUrl → url, FileHash → hash',
    since: '1.5',
    help: 'one row per event field to check: the KUMA field and its CyberTrace indicator type (ip, url or hash); at least one row',
  },
  {
    jsonKey: 'debug',
    siteKey: 'debug',
    consoleField: 'Debug',
    type: 'boolean',
    schema: { type: 'boolean' },
    default: () => false,
    defaultText: 'false (logging off)',
    since: '1.5',
    help: "logging of the rule's operations",
  },
  {
    jsonKey: 'description',
    siteKey: 'description',
    consoleField: 'Description',
    type: 'text',
    schema: { type: 'string', maxLength: 4000, pattern: multiLine, description: 'text without control characters other than line breaks and tabs' },
    length: { min: 0, max: 4000 },
    default: () => '',
    defaultText: 'empty',
    since: '1.5',
    help: 'up to 4000 Unicode characters',
  },
  {
    jsonKey: 'filter',
    siteKey: 'filter',
    consoleField: 'Filter',
    type: 'choice',
    schema: { anyOf: [resourceName, { type: 'null' }] },
    length: { min: 1, max: 128 },
    default: () => null,
    defaultText: 'none (every event is enriched)',
    since: '1.5',
    help: 'the name of an existing KUMA filter that selects the events to enrich',
  },
];

/** "4.0" → [4, 0], for comparing versions. */
function versionParts(v: string): [number, number] {
  const [major, minor] = v.split('.').map((x) => Number.parseInt(x, 10));
  return [major, Number.isNaN(minor) ? 0 : minor];
}

/** True when a console of `family` has something that appeared in version `since`. */
export function existsIn(since: string, family: KumaFamily): boolean {
  return versionParts(since)[0] <= versionParts(family)[0];
}

export function fieldsFor(family: KumaFamily): RuleField[] {
  return RULE_FIELDS.filter((f) => existsIn(f.since, family));
}
