/** AlienVault USM / OSSIM connector (the Kaspersky CyberTrace–AlienVault integration guide): CyberTrace ↔ rsyslog + ossim-agent plugin. */
import {
  type BuildContext,
  type BundleFile,
  type CyberTraceSettings,
  defineConnector,
  type InstallStep,
  type OptionProblem,
  type Renderer,
  renderSampleEvents,
  type Site,
} from '../../src/connector/index.js';
import { ALERT_USERDATA, DETECTION_USERDATA, EVENTS, REGEXPS } from './contract.js';
import { alienvaultOptionsSchema, type AlienVaultOptions } from './options.js';
import { pluginCfg, pluginRules, PLUGIN_FILE } from './plugin-cfg.js';
import { pluginSidRows, pluginSql } from './sql.js';
import {
  cybertraceSourceIp,
  forwardBlock,
  forwardedAddresses,
  FORWARD_MARKER,
  inboundBlock,
  INBOUND_MARKER,
  MARKER_FAMILY,
  MAX_MESSAGE_SIZE,
  RSYSLOG_AFTER,
  RSYSLOG_BEFORE,
  RSYSLOG_CONF,
  UTF8_REPLACEMENT,
} from './rsyslog.js';
import { SAMPLE_ALERTS, SAMPLE_DETECTIONS } from './samples.js';
import { alienvaultCategories, oldNamePins, titleProblems } from './categories.js';
import { EVENT_NAME_PREFIX, GENERIC_DETECTION_SID, PLUGIN_ID, translationProblems } from './translations.js';
import { alienvaultWire } from './wire.js';
import { productTypeName, productTypeProblem } from './product-types.js';
import { AGENT_CONFIG, AGENT_CONFIG_MERGE, agentPluginsBlock, PLUGIN_DIR, PLUGIN_ENCODING, PLUGIN_ENTRY, SENSOR_PLUGIN_NAME } from './agent-config.js';

export { PLUGIN_DIR };

export const SQL_DIR = '/usr/share/doc/ossim-mysql/contrib/plugins';
export const SQL_FILE = 'kaspersky_cyberTrace.sql';
export const LOGROTATE_PATH = '/etc/logrotate.d/kaspersky_cybertrace';

export const STEP = {
  rsyslogRestart: 'rsyslog-restart',
  dbImport: 'ossim-db-import',
  agentRestart: 'ossim-agent-restart',
  serverRestart: 'ossim-server-restart',
} as const;

export const BUNDLE_PATH = {
  cfg: `alienvault/${PLUGIN_FILE}`,
  sql: `alienvault/${SQL_FILE}`,
  forward: 'alienvault/rsyslog-forward.conf',
  inbound: 'alienvault/rsyslog-inbound.conf',
  logrotate: 'alienvault/logrotate-kaspersky_cybertrace',
  samples: 'alienvault/sample-events.log',
  agentConfig: 'alienvault/agent-config-plugins.cfg',
} as const;

/** Sample lines as rsyslog writes them to the log file: append them to it to see the plugin at work. */
function sampleEvents(site: Site, settings: CyberTraceSettings): string {
  const src = cybertraceSourceIp(site) ?? site.cybertrace.address;
  const head = (i: number) => `Jan  1 00:00:${String(i).padStart(2, '0')} ${src} `;
  const { detections, alerts } = renderSampleEvents(settings, SAMPLE_DETECTIONS, SAMPLE_ALERTS);
  return [...detections, ...alerts]
    .map((line, i) => head(i) + line)
    .concat('')
    .join('\n');
}

function logrotateFile(o: AlienVaultOptions, render: Renderer): string {
  return render('alienvault/logrotate.hbs', { logFile: o.log_file, period: o.logrotate.period, rotate: o.logrotate.rotate });
}

function installContext(base: BuildContext<AlienVaultOptions>) {
  const { site, options: o } = base;
  const rows = pluginSidRows(site);
  const rules = pluginRules();
  return {
    ...base,
    av: o,
    pluginId: PLUGIN_ID,
    pluginFile: PLUGIN_FILE,
    pluginDir: PLUGIN_DIR,
    sqlFile: SQL_FILE,
    sqlDir: SQL_DIR,
    logrotatePath: LOGROTATE_PATH,
    rsyslogConf: RSYSLOG_CONF,
    rsyslogAfter: RSYSLOG_AFTER,
    rsyslogBefore: RSYSLOG_BEFORE,
    forwardMarker: FORWARD_MARKER,
    inboundMarker: INBOUND_MARKER,
    maxMessageSize: MAX_MESSAGE_SIZE,
    utf8Replacement: UTF8_REPLACEMENT,
    paths: BUNDLE_PATH,
    sourceIp: cybertraceSourceIp(site),
    deviceCount: forwardedAddresses(site).length,
    devices: o.devices.slice(0, 20).map((d) => ({ ip: d.ip, name: d.name ?? '' })),
    moreDevices: Math.max(0, o.devices.length - 20),
    hasInterface: o.interface !== undefined,
    hasCopy: o.forward_copy_file !== undefined,
    rows: rows.map((r) => ({ ...r, shortName: r.name.startsWith(EVENT_NAME_PREFIX) ? r.name.slice(EVENT_NAME_PREFIX.length) : r.name })),
    detectionUserdata: DETECTION_USERDATA,
    alertUserdata: ALERT_USERDATA,
    ruleSections: rules.map((r) => r.section),
    regexps: REGEXPS,
    seedTaxonomy: o.category_id === 15 && o.subcategory_id === 71,
    agentConfig: AGENT_CONFIG,
    sensorPluginName: SENSOR_PLUGIN_NAME,
    pluginEntry: PLUGIN_ENTRY,
    pluginEncoding: PLUGIN_ENCODING,
    productType: { id: o.product_type, name: productTypeName(o.product_type) },
    genericSid: GENERIC_DETECTION_SID,
  };
}

function files(base: BuildContext<AlienVaultOptions>): BundleFile[] {
  const { site, options: o, settings, render } = base;
  const rsyslogMerge = (marker: string) => ({
    kind: 'marked-block' as const,
    marker,
    family: MARKER_FAMILY,
    after: RSYSLOG_AFTER,
    before: RSYSLOG_BEFORE,
    commentPrefix: '#',
  });
  const rsyslogInstall = (marker: string) => ({
    role: 'alienvault',
    path: RSYSLOG_CONF,
    mode: 0o644,
    validate: 'rsyslogd -N1 -f {file}',
    merge: rsyslogMerge(marker),
    notify: [STEP.rsyslogRestart],
  });
  return [
    { path: 'INSTALL.md', content: render('alienvault/INSTALL.md.hbs', installContext(base)), mode: 0o644 },
    {
      path: BUNDLE_PATH.cfg,
      content: pluginCfg(site),
      mode: 0o644,
      install: { role: 'alienvault', path: `${PLUGIN_DIR}/${PLUGIN_FILE}`, mode: 0o644, owner: 'root:root', notify: [STEP.agentRestart] },
    },
    {
      path: BUNDLE_PATH.sql,
      content: pluginSql(site),
      mode: 0o644,
      install: { role: 'alienvault', path: `${SQL_DIR}/${SQL_FILE}`, mode: 0o644, owner: 'root:root', notify: [STEP.dbImport, STEP.serverRestart] },
    },
    { path: BUNDLE_PATH.forward, content: forwardBlock(site), mode: 0o644, install: rsyslogInstall(FORWARD_MARKER) },
    { path: BUNDLE_PATH.inbound, content: inboundBlock(site), mode: 0o644, install: rsyslogInstall(INBOUND_MARKER) },
    {
      path: BUNDLE_PATH.agentConfig,
      content: agentPluginsBlock(),
      mode: 0o644,
      // At the end of config.cfg, so it wins over an entry the sensor UI wrote (agent-config.ts).
      install: { role: 'alienvault', path: AGENT_CONFIG, mode: 0o644, merge: AGENT_CONFIG_MERGE, notify: [STEP.agentRestart] },
    },
    {
      path: BUNDLE_PATH.logrotate,
      content: logrotateFile(o, render),
      mode: 0o644,
      // logrotate refuses group/world-writable files and ones not owned by root.
      install: { role: 'alienvault', path: LOGROTATE_PATH, mode: 0o644, owner: 'root:root', validate: 'logrotate -d {file}' },
    },
    { path: BUNDLE_PATH.samples, content: sampleEvents(site, settings), mode: 0o644 },
  ];
}

function steps(): InstallStep[] {
  return [
    {
      id: STEP.rsyslogRestart,
      role: 'alienvault',
      description: 'restart rsyslog so it reads the forwarding and inbound rules',
      command: '/etc/init.d/rsyslog restart',
      timeoutSec: 60,
      when: 'changed',
    },
    {
      id: STEP.dbImport,
      role: 'alienvault',
      description: 'import the plugin and its SIDs into the ossim database (ossim-db)',
      command: 'ossim-db',
      stdinFromFile: BUNDLE_PATH.sql,
      timeoutSec: 120,
      when: 'changed',
    },
    {
      id: STEP.agentRestart,
      role: 'alienvault',
      description: 'restart ossim-agent so it loads the plugin',
      command: '/etc/init.d/ossim-agent restart',
      timeoutSec: 180,
      when: 'changed',
    },
    {
      id: STEP.serverRestart,
      role: 'alienvault',
      description: 'restart ossim-server: it loads plugin SIDs only at start-up',
      command: '/etc/init.d/ossim-server restart',
      timeoutSec: 300,
      when: 'changed',
    },
  ];
}

function check(o: AlienVaultOptions, site: Site): OptionProblem[] {
  const problems: OptionProblem[] = [];
  for (const p of translationProblems(o.translations ?? [])) problems.push({ path: ['translations', p.index, p.field], message: p.message });
  problems.push(...oldNamePins(o.translations ?? [], site), ...titleProblems(site));
  if (o.product_type !== undefined) {
    const problem = productTypeProblem(o.product_type);
    if (problem) problems.push({ path: ['product_type'], message: problem });
  }
  const src = o.cybertrace_source_ip ?? (/^\d{1,3}(\.\d{1,3}){3}$/.test(site.cybertrace.address) ? site.cybertrace.address : undefined);
  if (!src) {
    problems.push({
      path: ['cybertrace_source_ip'],
      message: `cybertrace.address is a host name (${site.cybertrace.address}); set the IPv4 address CyberTrace's events arrive from, for the inbound rsyslog rule`,
    });
  }
  if (o.address === site.cybertrace.address) {
    problems.push({ path: ['address'], message: 'AlienVault and CyberTrace must run on different computers (rsyslog forwarding is based on addresses)' });
  }
  // Where each address was first listed is looked for only when some address is listed twice.
  const seen = forwardedAddresses(site).length < o.devices.length ? new Map<string, number>() : undefined;
  o.devices.forEach((d, i) => {
    const first = seen?.get(d.ip);
    if (first !== undefined) problems.push({ path: ['devices', i, 'ip'], message: `${d.ip} is already listed at devices[${first}]` });
    else seen?.set(d.ip, i);
    if (d.ip === src || d.ip === site.cybertrace.address) {
      problems.push({ path: ['devices', i, 'ip'], message: `${d.ip} is CyberTrace itself: forwarding its events back to it would loop` });
    }
    if (d.ip.startsWith('127.') || d.ip === '0.0.0.0') problems.push({ path: ['devices', i, 'ip'], message: `${d.ip} is not a remote device address` });
  });
  return problems;
}

export const alienvault = defineConnector(alienvaultOptionsSchema, {
  id: 'alienvault',
  title: 'AlienVault USM / OSSIM',
  summary: 'ossim-agent plugin (.cfg + .sql with category → SID table), rsyslog forwarding and inbound rules, logrotate',
  siemVersions: 'AlienVault USM Appliance 5.x / OSSIM 5.x (ossim-agent plugins, rsyslog 8)',
  check,
  events: EVENTS,
  output: (o) => `${o.address}:${o.syslog_port}`,
  files,
  steps,
  wire: alienvaultWire,
  categories: alienvaultCategories(steps, STEP),
  variants: [{ name: 'with a copy of forwarded events', options: { forward_copy_file: '/var/log/kaspersky_cybertrace_forwarded.log' } }],
});
