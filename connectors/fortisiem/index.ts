/** FortiSIEM connector (seed 000): CyberTrace ↔ FortiSIEM over syslog/CEF. */
import type { Connector, BundleFile } from '../../src/core/contract.js';
import type { Site } from '../../src/config/site.js';
import type { CyberTraceSettings } from '../../src/cybertrace/types.js';
import { cybertraceSettings } from '../../src/cybertrace/settings.js';
import { contractFields } from '../../src/cybertrace/event-contract.js';
import { renderSampleEvents } from '../../src/cybertrace/render-event.js';
import { feedServiceConfigPath, feedServiceRestartCommand } from '../../src/cybertrace/bundle-files.js';
import { CEF_PRODUCT, CEF_VENDOR, detectionEvent, EVENTS, usedCefKeys } from './contract.js';
import { fortisiemOptionsSchema, type FortiSiemOptions } from './options.js';
import { SAMPLE_DETECTIONS, SAMPLE_ALERTS } from './samples.js';
import { fortisiemWire } from './wire.js';

const options = (site: Site): FortiSiemOptions => site.siems.fortisiem as unknown as FortiSiemOptions;

function cybertrace(site: Site): CyberTraceSettings {
  const o = options(site);
  return cybertraceSettings(EVENTS, `${site.cybertrace.listen_address}:${site.cybertrace.input_port}`, `${o.address}:${o.syslog_port}`);
}

/** What each CEF key of the detection event carries, for the field reference. */
function cefFieldRows(): Array<{ key: string; source: string; role: string }> {
  const rows: Array<{ key: string; source: string; role: string }> = [];
  for (const p of detectionEvent.parts) {
    if (p.kind === 'field') rows.push({ key: p.key, source: `%${p.placeholder}%`, role: p.role });
    if (p.kind === 'constant') rows.push({ key: p.key, source: `constant "${p.value}"`, role: 'label' });
  }
  return rows;
}

function sampleEvents(site: Site, settings: CyberTraceSettings): string {
  const o = options(site);
  const actionable: Array<[string, string]> = o.actionable_fields.length > 0 ? [[o.actionable_fields[0].cef_key, '75']] : [];
  const { detections: lines, alerts } = renderSampleEvents(settings, SAMPLE_DETECTIONS.map((s) => ({ ...s, actionable })), SAMPLE_ALERTS);
  return [
    '# Events as CyberTrace sends them to FortiSIEM with these settings (one per line).',
    '# Detection events:',
    ...lines,
    '# Service events:',
    ...alerts,
    '',
  ].join('\n');
}

function files(site: Site, render: (t: string, c: object) => string): BundleFile[] {
  const o = options(site);
  const settings = cybertrace(site);
  const ctx = {
    site,
    ct: site.cybertrace,
    fsm: o,
    settings,
    cefVendor: CEF_VENDOR,
    cefProduct: CEF_PRODUCT,
    configPath: feedServiceConfigPath(site),
    restartCommand: feedServiceRestartCommand(site),
    linux: site.cybertrace.platform === 'linux',
    cefFields: cefFieldRows(),
    hasOrganization: o.organization !== undefined,
    hasFilters: [o.source_ip, o.destination_ip, o.severity, o.regex_filter].some((v) => v !== undefined),
    reportingDevices: o.reporting_devices,
    eventTypes: o.event_types,
    actionable: o.actionable_fields,
    hasActionable: o.actionable_fields.length > 0,
    optional: (v: string | undefined) => v ?? '(leave empty)',
    sourceIp: o.source_ip ?? '(leave empty)',
    destinationIp: o.destination_ip ?? '(leave empty)',
    severity: o.severity ?? '(leave empty)',
    regexFilter: o.regex_filter ?? '(leave empty)',
  };
  return [
    { path: 'INSTALL.md', content: render('fortisiem/INSTALL.md.hbs', ctx), mode: 0o644 },
    { path: 'fortisiem/forwarding-rule.md', content: render('fortisiem/forwarding-rule.md.hbs', ctx), mode: 0o644 },
    { path: 'fortisiem/cef-fields.md', content: render('fortisiem/cef-fields.md.hbs', ctx), mode: 0o644 },
    { path: 'fortisiem/actionable-fields.md', content: render('fortisiem/actionable-fields.md.hbs', ctx), mode: 0o644 },
    { path: 'fortisiem/sample-events.cef', content: sampleEvents(site, settings), mode: 0o644 },
  ];
}

export const fortisiem: Connector = {
  id: 'fortisiem',
  title: 'FortiSIEM',
  summary: 'CyberTrace CEF settings, event-forwarding-rule guide, CEF field reference, actionable fields',
  siemVersions: 'FortiSIEM 5.2 procedure (Admin > Settings > Event Handling > Forwarding); 6.x/7.x use the same fields',
  optionsSchema: fortisiemOptionsSchema as unknown as Record<string, unknown>,
  check(raw) {
    const o = raw as unknown as FortiSiemOptions;
    const problems: Array<{ path: Array<string | number>; message: string }> = [];
    const used = new Set(usedCefKeys());
    const seen = new Set<string>();
    o.actionable_fields.forEach((a, i) => {
      if (used.has(a.cef_key)) problems.push({ path: ['actionable_fields', i, 'cef_key'], message: `CEF key "${a.cef_key}" is already used by the detection event; pick an unused one` });
      if (seen.has(a.cef_key)) problems.push({ path: ['actionable_fields', i, 'cef_key'], message: `CEF key "${a.cef_key}" is used by two actionable fields` });
      seen.add(a.cef_key);
    });
    return problems;
  },
  cybertrace,
  files,
  steps: () => [],
  wire: fortisiemWire,
};

/** Exposed for tests: the placeholders of the detection event with their roles. */
export const fortisiemDetectionFields = contractFields(detectionEvent);
