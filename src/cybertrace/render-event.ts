/**
 * Renders a CyberTrace format string the way the service does when it emits an event: every
 * %NAME% is replaced by its value, %RecordContext% / %ActionableFields% by the context pairs
 * formatted with RecordFieldContextFormat / ActionableFieldContextFormat, and a regexp that
 * found nothing by "-" (as in the service's real output: `ip=- hash=-`). Used by tests,
 * `verify` and `simulate` to produce the exact text a SIEM receives.
 */
import type { CyberTraceSettings } from '../model/cybertrace.js';

export interface RenderedEventInput {
  values: Record<string, string>;
  /** Feed record context, in order. */
  context?: Array<[string, string]>;
  actionable?: Array<[string, string]>;
}

const MISSING = '-';

function formatPairs(pairFormat: string, pairs: Array<[string, string]>): string {
  return pairs.map(([name, value]) => pairFormat.replace(/%ParamName%/g, name).replace(/%ParamValue%/g, value)).join('');
}

export function renderCyberTraceFormat(format: string, settings: CyberTraceSettings, input: RenderedEventInput): string {
  return format.replace(/%([A-Za-z0-9_]+)%/g, (_m, name: string) => {
    if (name === 'RecordContext') return formatPairs(settings.output.recordFieldContextFormat, input.context ?? []);
    if (name === 'ActionableFields') return formatPairs(settings.output.actionableFieldContextFormat, input.actionable ?? []);
    const v = input.values[name];
    return v === undefined || v === '' ? MISSING : v;
  });
}

/** Placeholders used by a format string, in order of first use. */
export function placeholdersOf(format: string): string[] {
  const seen: string[] = [];
  for (const m of format.matchAll(/%([A-Za-z0-9_]+)%/g)) if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

/** Sample detection and service events as the service would send them with these settings (no alerts without an AlertFormat). */
export function renderSampleEvents(
  settings: CyberTraceSettings,
  detections: RenderedEventInput[],
  alerts: RenderedEventInput[],
): { detections: string[]; alerts: string[] } {
  const alertFormat = settings.output.alertFormat;
  return {
    detections: detections.map((d) => renderCyberTraceFormat(settings.output.eventFormat, settings, d)),
    alerts: alertFormat === undefined ? [] : alerts.map((a) => renderCyberTraceFormat(alertFormat, settings, a)),
  };
}

/** A sample-events file: a comment naming the receiver, then the detection and service events, one per line. */
export function sampleEventsText(settings: CyberTraceSettings, receiver: string, detections: RenderedEventInput[], alerts: RenderedEventInput[]): string {
  const samples = renderSampleEvents(settings, detections, alerts);
  return [
    `# Events as CyberTrace sends them to ${receiver} with these settings (one per line).`,
    '# Detection events:',
    ...samples.detections,
    '# Service events:',
    ...samples.alerts,
    '',
  ].join('\n');
}
