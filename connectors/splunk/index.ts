/** Splunk connector (the Kaspersky CyberTrace–Splunk integration guide): the Kaspersky CyberTrace app for Splunk, as folders and .spl archives. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BuildContext,
  type BundleFile,
  createArchive,
  defineConnector,
  FEED_CHECK_INDICATORS,
  type InstallStep,
  type OptionProblem,
  sampleEventsText,
  type Site,
} from '../../src/connector/index.js';
import { packageRoot, templatesDir } from '../../src/kernel/paths.js';
import { EVENTS, INPUT_FIELDS } from './contract.js';
import { appFiles, LOOKUP_SCRIPT, SETTINGS_COLLECTION, VENDOR_DOCS, type AppContext, type AppKind } from './app.js';
import { splunkOptions, splunkOptionsSchema, type SplunkOptions } from './options.js';
import { SAMPLE_ALERTS, SAMPLE_DETECTIONS } from './samples.js';
import { splunkWire } from './wire.js';

export const SPLUNK_RESTART_STEP = 'restart';

/** Major.Minor.Revision of the app: the ctconnect version that generated it. */
function appVersion(): string {
  const v = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? `${m[1]}.${m[2]}.${m[3]}` : '1.0.0';
}

function lookupScript(): string {
  return readFileSync(join(templatesDir(), 'splunk', 'bin', LOOKUP_SCRIPT), 'utf8');
}

/** Which apps the scheme needs: id, kind and a line for INSTALL.md. */
export function splunkApps(site: Site): Array<{ id: string; kind: AppKind; what: string; role: string }> {
  const o = splunkOptions(site);
  if (o.scheme === 'single') return [{ id: o.app_id, kind: 'single', what: 'the CyberTrace app for a single Splunk instance', role: 'splunk' }];
  return [
    {
      id: o.forwarder_app_id,
      kind: 'forwarder',
      what: 'forwarder app: heavy or universal forwarders that send events to CyberTrace and receive its events',
      role: FORWARDER_ROLE,
    },
    { id: o.app_id, kind: 'search-head', what: 'search-head app: extractions, dashboards, alert templates, lookup command', role: SEARCH_HEAD_ROLE },
  ];
}

/** Deploy roles of a distributed Splunk: each tier gets its own app. */
export const FORWARDER_ROLE = 'splunk-forwarder';
export const SEARCH_HEAD_ROLE = 'splunk-search-head';

function validateCommand(path: string): string | undefined {
  if (path.endsWith('.json')) return 'python3 -m json.tool {file} >/dev/null';
  if (path.endsWith('.py')) return 'python3 -c "import ast,sys; ast.parse(open(sys.argv[1]).read())" {file}';
  return undefined;
}

async function files(base: BuildContext<SplunkOptions>): Promise<BundleFile[]> {
  const { site, options: o, settings, render } = base;
  const ctx: AppContext = { site, o, settings, version: appVersion(), render, script: lookupScript() };
  const out: BundleFile[] = [];
  const apps = splunkApps(site);
  for (const app of apps) {
    const inApp = appFiles(ctx, app.id, app.kind);
    for (const f of inApp) {
      const file: BundleFile = { path: `${app.id}/${f.path}`, content: f.content, mode: f.mode };
      const validate = validateCommand(f.path);
      file.install = {
        role: app.role,
        path: `${o.splunk_home}/etc/apps/${app.id}/${f.path}`,
        mode: f.mode,
        owner: o.owner,
        notify: [SPLUNK_RESTART_STEP],
        ...(validate ? { validate } : {}),
      };
      out.push(file);
    }
    // The .spl holds the files above, already checked: not made for a check (validate).
    if (!base.checkOnly) out.push({ path: `${app.id}.spl`, content: await createArchive(inApp, app.id, 'tar.gz'), mode: 0o644 });
  }
  const isLocal = (a: string) => a === '127.0.0.1' || a === 'localhost';
  const installCtx = {
    ...base,
    o,
    regexps: settings.input.regexps,
    inputFields: INPUT_FIELDS.map((f) => ({ regexp: f.regexp, keys: f.keys.map((k) => `\`${k}=\``).join(', ') })),
    apps,
    single: o.scheme === 'single',
    local: isLocal(site.cybertrace.address) && isLocal(o.address),
    remote: site.cybertrace.address !== o.address,
    appId: o.app_id,
    forwarderId: o.forwarder_app_id,
    splunkHome: o.splunk_home,
    appDir: `${o.splunk_home}/etc/apps/${o.app_id}`,
    finishedText: settings.output.finishedEventText,
    docs: VENDOR_DOCS,
    settingsCollection: SETTINGS_COLLECTION,
    feedCount: FEED_CHECK_INDICATORS.length,
  };
  out.push(
    { path: 'INSTALL.md', content: render('splunk/INSTALL.md.hbs', installCtx), mode: 0o644 },
    { path: 'splunk/sample-events.txt', content: sampleEventsText(settings, 'Splunk', SAMPLE_DETECTIONS, SAMPLE_ALERTS), mode: 0o644 },
  );
  return out;
}

function steps(o: SplunkOptions, site: Site): InstallStep[] {
  // One restart per tier: a host runs only the steps of the roles it has.
  return splunkApps(site).map((app) => ({
    id: SPLUNK_RESTART_STEP,
    role: app.role,
    description: `restart Splunk so it loads the ${app.id} app (${app.kind === 'forwarder' ? 'inputs, outputs' : app.kind === 'search-head' ? 'extractions, command, dashboards' : 'inputs, outputs, extractions, command'})`,
    command: `${o.splunk_home}/bin/splunk restart`,
    timeoutSec: 600,
    when: 'changed' as const,
  }));
}

export const splunk = defineConnector(splunkOptionsSchema, {
  id: 'splunk',
  title: 'Splunk',
  summary: 'CyberTrace app for Splunk (.spl): inputs, forwarding, extractions, klsearch lookup command, alerts, dashboards',
  siemVersions: 'Splunk Enterprise 8.x/9.x (Python 3); CyberTrace app layout of the vendor documentation',
  extraRoles: [FORWARDER_ROLE, SEARCH_HEAD_ROLE],
  variants: [{ name: 'distributed', options: { scheme: 'distributed' } }],
  check(o, site) {
    const problems: OptionProblem[] = [];
    if (o.app_id === o.forwarder_app_id) problems.push({ path: ['forwarder_app_id'], message: `must differ from app_id ("${o.app_id}")` });
    if (o.input_port === site.cybertrace.return_port) {
      problems.push({ path: ['input_port'], message: `must differ from cybertrace.return_port (${site.cybertrace.return_port}): Splunk listens on both` });
    }
    if (o.address === site.cybertrace.address && o.input_port === site.cybertrace.input_port) {
      problems.push({
        path: ['input_port'],
        message: `Splunk and CyberTrace are on the same host (${o.address}) and both would listen on port ${o.input_port}; use another port (default 3000)`,
      });
    }
    return problems;
  },
  events: EVENTS,
  output: (o, site) => `${o.address}:${site.cybertrace.return_port}`,
  files,
  steps,
  wire: splunkWire,
});
