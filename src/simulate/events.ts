/**
 * Sample events in a connector's output format, as CyberTrace would send them to the SIEM:
 * service alerts and detections for the site's categories with the documented test indicators.
 */
import type { CyberTraceSettings } from '../cybertrace/types.js';
import type { Site } from '../config/site.js';
import { renderCyberTraceFormat, type RenderedEventInput } from '../cybertrace/render-event.js';

/** Values for every regexp-type a format may use, keyed by what the regexp extracts. */
const INDICATORS: Record<string, { type: 'HASH' | 'IP' | 'URL'; value: string; hashKind?: 'MD5' | 'SHA1' | 'SHA256' }> = {
  url: { type: 'URL', value: 'fakess123.nu' },
  ip: { type: 'IP', value: '192.0.2.0' },
  md5: { type: 'HASH', value: 'C912705B4BBB14EC7E78FA8B370532C9', hashKind: 'MD5' },
};

const ALERTS: Array<[string, Array<[string, string]>]> = [
  ['KL_ALERT_ServiceStarted', []],
  ['KL_ALERT_UpdatedFeed', [['feed', 'Malicious_URL_Data_Feed.json'], ['records', '200473']]],
  ['KL_ALERT_OutdatedFeed', [['feed', 'IP_Reputation_Data_Feed.json']]],
  ['KL_ALERT_FeedBecameUnavailable', [['feed', 'Phishing_URL_Data_Feed.json']]],
];

function pickIndicator(category: string): (typeof INDICATORS)[string] {
  if (/Hash/i.test(category)) return INDICATORS.md5;
  if (/_IP|Reputation/i.test(category)) return INDICATORS.ip;
  return INDICATORS.url;
}

function dateOf(now: Date): string {
  const m = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][now.getUTCMonth()];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${m} ${String(now.getUTCDate()).padStart(2, ' ')} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
}

/**
 * The events of one run, rendered once: alerts whole, detections (one per category) with a gap
 * where the per-event id goes. `simulate` asks for hundreds of thousands of events, and rendering
 * each from the format string costs most of the time; filling the gap gives the same text.
 */
interface RunTemplates {
  settings: CyberTraceSettings;
  site: Site;
  date: string;
  alerts: string[];
  /** Per category, the detection's text split at the id. */
  detections: string[][];
}

/** Stands for the id while rendering; XML cannot hold U+0000, so no format or setting contains it. */
const ID_GAP = '\u0000';

let lastRun: RunTemplates | undefined;

function templatesFor(settings: CyberTraceSettings, site: Site, now: Date): RunTemplates {
  const date = dateOf(now);
  if (lastRun && lastRun.settings === settings && lastRun.site === site && lastRun.date === date) return lastRun;
  const alertFormat = settings.output.alertFormat;
  const alerts = alertFormat ? ALERTS.map(([alert, context]) => renderCyberTraceFormat(alertFormat, settings, { values: { Alert: alert, Date: date }, context })) : [];
  const names = [...site.categories.kaspersky, ...site.categories.custom.map((c) => c.name)];
  const categories = names.length > 0 ? names : ['KL_Malicious_URL'];
  const detections = categories.map((category) => detectionOf(category, settings, date, ID_GAP).split(ID_GAP));
  lastRun = { settings, site, date, alerts, detections };
  return lastRun;
}

function detectionOf(category: string, settings: CyberTraceSettings, date: string, id: string): string {
  const ind = pickIndicator(category);
  const values: Record<string, string> = { Category: category, MatchedIndicator: ind.value, Date: date, SRC_IP: '10.20.30.40', Confidence: '100' };
  // Fill the regexps of this format that extract the indicator's type, as the service would.
  for (const r of settings.input.regexps) {
    if (r.type === ind.type && (ind.type !== 'HASH' || !/SHA|MD5/.test(r.name) || r.name.includes(ind.hashKind ?? ''))) values[r.name] ??= ind.value;
  }
  values.SRC_IP = '10.20.30.40';
  const input: RenderedEventInput = {
    values,
    context: [['first_seen', '10.07.2015 23:53'], ['last_seen', '04.10.2019 06:25'], ['popularity', '1'], ['id', id]],
  };
  return renderCyberTraceFormat(settings.output.eventFormat, settings, input);
}

/** The i-th sample event (alerts and detections interleaved, one alert per 10 events). */
export function sampleEvent(i: number, settings: CyberTraceSettings, site: Site, now = new Date()): { kind: 'alert' | 'detection'; line: string } {
  const run = templatesFor(settings, site, now);
  if (i % 10 === 0 && run.alerts.length > 0) return { kind: 'alert', line: run.alerts[(i / 10) % run.alerts.length] };
  return { kind: 'detection', line: run.detections[i % run.detections.length].join(String(1000 + i)) };
}

/** Lines of a user file of events: one per line, blank lines and # comments skipped. */
export function eventsFromText(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
}
