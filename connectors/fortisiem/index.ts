/** FortiSIEM connector (the Kaspersky CyberTrace–FortiSIEM integration guide): CyberTrace ↔ FortiSIEM over syslog/CEF. */
import {
  type BuildContext,
  type BundleFile,
  type CyberTraceSettings,
  defineConnector,
  fieldReference,
  type OptionProblem,
  sampleEventsText,
} from '../../src/connector/index.js';
import { CEF_HEADER, detectionEvent, EVENTS, usedCefKeys } from './contract.js';
import { fortisiemOptionsSchema, type FortiSiemOptions } from './options.js';
import { SAMPLE_DETECTIONS, SAMPLE_ALERTS } from './samples.js';
import { fortisiemWire } from './wire.js';

function sampleEvents(o: FortiSiemOptions, settings: CyberTraceSettings): string {
  const actionable: Array<[string, string]> = o.actionable_fields.length > 0 ? [[o.actionable_fields[0].cef_key, '75']] : [];
  return sampleEventsText(
    settings,
    'FortiSIEM',
    SAMPLE_DETECTIONS.map((s) => ({ ...s, actionable })),
    SAMPLE_ALERTS,
  );
}

function files(base: BuildContext<FortiSiemOptions>): BundleFile[] {
  const { options: o, render, settings } = base;
  const ctx = {
    ...base,
    fsm: o,
    cefVendor: CEF_HEADER.vendor,
    cefProduct: CEF_HEADER.product,
    cefFields: fieldReference(detectionEvent),
    contextKey: fieldReference(detectionEvent).find((r) => r.role === 'context')!.key,
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
    { path: 'fortisiem/sample-events.cef', content: sampleEvents(o, settings), mode: 0o644 },
  ];
}

export const fortisiem = defineConnector(fortisiemOptionsSchema, {
  id: 'fortisiem',
  title: 'FortiSIEM',
  summary: 'CyberTrace CEF settings, event-forwarding-rule guide, CEF field reference, actionable fields',
  siemVersions: 'FortiSIEM 5.2 procedure (Admin > Settings > Event Handling > Forwarding); 6.x/7.x use the same fields',
  check(o) {
    const problems: OptionProblem[] = [];
    const used = new Set(usedCefKeys());
    const seen = new Set<string>();
    o.actionable_fields.forEach((a, i) => {
      if (used.has(a.cef_key))
        problems.push({
          path: ['actionable_fields', i, 'cef_key'],
          message: `CEF key "${a.cef_key}" is already used by the detection event; pick an unused one`,
        });
      if (seen.has(a.cef_key)) problems.push({ path: ['actionable_fields', i, 'cef_key'], message: `CEF key "${a.cef_key}" is used by two actionable fields` });
      seen.add(a.cef_key);
    });
    return problems;
  },
  events: EVENTS,
  output: (o) => `${o.address}:${o.syslog_port}`,
  files,
  wire: fortisiemWire,
});
