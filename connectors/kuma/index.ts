/** KUMA connector (the Kaspersky CyberTrace–KUMA integration guide): CyberTrace settings for KUMA, the enrichment rule, console integration. */
import {
  type BuildContext,
  type BundleFile,
  type CyberTraceSettings,
  defineConnector,
  httpApiUrl,
  markdownText,
  renderSampleEvents,
  type Site,
} from '../../src/connector/index.js';
import { EVENTS, LISTEN_ADDRESS, OUTPUT_ADDRESS, REGEXPS } from './contract.js';
import { resolveRule, RULE_FILE, RULE_SCHEMA_FILE, ruleJson, ruleSchema } from './enrichment-rule.js';
import { kumaOptions, kumaOptionsSchema, type KumaOptions } from './options.js';
import { checkKumaOptions } from './check.js';
import { chosenPath, fieldsFor, type RuleField } from './rule-fields.js';
import { RULE_ENDPOINTS, ruleEndpoint } from './endpoints.js';
import { SAMPLE_ALERTS, SAMPLE_DETECTIONS, SAMPLE_REQUESTS } from './samples.js';
import { ASSUMED_SESSION_HEADER, kumaRequest, kumaWire } from './wire.js';

/** A value as the user enters it in the console, as Markdown (escaped). */
function consoleValue(f: RuleField, v: unknown): string {
  if (v === null) {
    if (f.jsonKey === 'secret') return 'leave empty (the cybertrace source kind sends no credentials)';
    return `leave empty (${markdownText(f.defaultText.replace(/^left empty: /, '').replace(/^none \((.*)\)$/, '$1'))})`;
  }
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'number') return String(v);
  const s = String(v as string | number | boolean); // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion -- a scalar by the schema
  if (s === '') return 'leave empty';
  if (/[\n\t]/.test(s)) return `the \`${f.jsonKey}\` value of \`${RULE_FILE}\` (several lines)`;
  if (f.jsonKey === 'cybertraceMajorVersion') return s === '>=5' ? '≥ 5' : '<5';
  return markdownText(s);
}

interface ConsoleRow {
  field: string;
  value: string;
  jsonKey: string;
}

function consoleRows(site: Site): { rows: ConsoleRow[]; mapping: Array<{ field: string; indicator: string }> } {
  const { family, values } = resolveRule(site);
  const rows: ConsoleRow[] = [];
  let mapping: Array<{ field: string; indicator: string }> = [];
  for (const f of fieldsFor(family)) {
    const v = values[f.jsonKey];
    if (f.type === 'table') {
      mapping = (v as Array<{ kumaField: string; indicator: string }>).map((r) => ({ field: markdownText(r.kumaField), indicator: r.indicator }));
      rows.push({ field: f.consoleField, value: `${mapping.length} row${mapping.length > 1 ? 's' : ''}, see below`, jsonKey: f.jsonKey });
      continue;
    }
    rows.push({ field: f.consoleField, value: consoleValue(f, v), jsonKey: f.jsonKey });
  }
  return { rows, mapping };
}

/** The endpoint table of INSTALL.md with this site's values; the row the rule uses is marked. */
function endpointRows(site: Site) {
  const { sourceKind, major } = chosenPath(site, kumaOptions(site).version);
  const chosen = ruleEndpoint(sourceKind, major);
  return {
    chosen: { major: major === '>=5' ? '≥ 5' : '<5', open: chosen.open ?? '', viaHttpServer: chosen.target === 'http-server' },
    rows: RULE_ENDPOINTS.map((e) => ({
      sourceKind: e.sourceKind,
      major: e.major === '>=5' ? '≥ 5' : '<5',
      setting: e.setting,
      hostPort: markdownText(e.hostPort(site)),
      basis: e.open ? `**open**: ${e.open}` : 'documented (KUMA help, the Kaspersky integration guide)',
      thisSite: e === chosen,
    })),
  };
}

function sampleEvents(site: Site, settings: CyberTraceSettings): string {
  const url = resolveRule(site).values.url as string;
  const samples = renderSampleEvents(settings, SAMPLE_DETECTIONS, SAMPLE_ALERTS);
  return [
    `# Requests as KUMA sends them to CyberTrace at ${url} (assumed format, see INSTALL.md), after the mode header:`,
    ASSUMED_SESSION_HEADER,
    ...SAMPLE_REQUESTS.map(kumaRequest),
    '# Detection events CyberTrace answers with; KUMA stores them in the TI field of the event:',
    ...samples.detections,
    `# Service events, sent to ${settings.output.connectionString}:`,
    ...samples.alerts,
    '',
  ].join('\n');
}

function files(base: BuildContext<KumaOptions>): BundleFile[] {
  const { site, options: o, settings, render } = base;
  const rule = resolveRule(site);
  const { rows, mapping } = consoleRows(site);
  const consoleSection = o.console
    ? {
        configured: true,
        host: markdownText(o.console.host ?? site.cybertrace.address),
        port: o.console.port,
        secret: markdownText(o.console.secret),
        allowedHosts: o.console.allowed_hosts.map(markdownText),
        hasAllowedHosts: o.console.allowed_hosts.length > 0,
      }
    : { configured: false };
  const ctx = {
    ...base,
    siteName: markdownText(site.name),
    family: rule.family,
    is4x: rule.family === '4.x',
    sourceKind: rule.values.sourceKind,
    httpKind: rule.values.sourceKind === 'cybertrace-http',
    url: rule.values.url,
    ruleName: markdownText(String(rule.values.name)),
    builtInSite: site.source === 'built-in example site',
    rows,
    mapping,
    console: consoleSection,
    regexps: REGEXPS,
    listenAddress: LISTEN_ADDRESS,
    outputAddress: OUTPUT_ADDRESS,
    sessionHeader: ASSUMED_SESSION_HEADER,
    ruleFile: RULE_FILE,
    schemaFile: RULE_SCHEMA_FILE,
    endpoints: endpointRows(site),
    httpApiUrl: httpApiUrl(site),
    secret: typeof rule.values.secret === 'string' ? markdownText(rule.values.secret) : undefined,
    tenant: markdownText(String(rule.values.tenant)),
  };
  return [
    { path: 'INSTALL.md', content: render('kuma/INSTALL.md.hbs', ctx), mode: 0o644 },
    { path: RULE_FILE, content: ruleJson(site), mode: 0o644 },
    { path: RULE_SCHEMA_FILE, content: JSON.stringify(ruleSchema(rule.family), null, 2) + '\n', mode: 0o644 },
    { path: 'kuma/sample-events.txt', content: sampleEvents(site, settings), mode: 0o644 },
  ];
}

export const kuma = defineConnector<typeof kumaOptionsSchema, KumaOptions>(kumaOptionsSchema, {
  id: 'kuma',
  title: 'Kaspersky KUMA',
  summary: 'CyberTrace settings for KUMA, enrichment-rule JSON + JSON Schema, collector and web-console integration guide',
  siemVersions: 'KUMA 1.5–3.x ("3.x") and 4.0 ("4.x") enrichment-rule fields; CyberTrace 3.x/4.x settings',
  check: checkKumaOptions,
  events: EVENTS,
  input: (_o, site) => `${LISTEN_ADDRESS}:${site.cybertrace.input_port}`,
  output: (_o, site) => `${OUTPUT_ADDRESS}:${site.cybertrace.return_port}`,
  files,
  wire: kumaWire,
  lookupOverHttp: (_o, site) => resolveRule(site).values.sourceKind === 'cybertrace-http',
});
