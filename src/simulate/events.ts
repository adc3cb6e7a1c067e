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

/** The i-th sample event (alerts and detections interleaved, one alert per 10 events). */
export function sampleEvent(i: number, settings: CyberTraceSettings, site: Site, now = new Date()): { kind: 'alert' | 'detection'; line: string } {
  if (i % 10 === 0 && settings.output.alertFormat) {
    const [alert, context] = ALERTS[(i / 10) % ALERTS.length];
    return { kind: 'alert', line: renderCyberTraceFormat(settings.output.alertFormat, settings, { values: { Alert: alert, Date: dateOf(now) }, context }) };
  }
  const categories = [...site.categories.kaspersky, ...site.categories.custom.map((c) => c.name)];
  const category = categories.length > 0 ? categories[i % categories.length] : 'KL_Malicious_URL';
  const ind = pickIndicator(category);
  const values: Record<string, string> = { Category: category, MatchedIndicator: ind.value, Date: dateOf(now), SRC_IP: '10.20.30.40', Confidence: '100' };
  // Fill the regexps of this format that extract the indicator's type, as the service would.
  for (const r of settings.input.regexps) {
    if (r.type === ind.type && (ind.type !== 'HASH' || !/SHA|MD5/.test(r.name) || r.name.includes(ind.hashKind ?? ''))) values[r.name] ??= ind.value;
  }
  values.SRC_IP = '10.20.30.40';
  const input: RenderedEventInput = {
    values,
    context: [['first_seen', '10.07.2015 23:53'], ['last_seen', '04.10.2019 06:25'], ['popularity', '1'], ['id', String(1000 + i)]],
  };
  return { kind: 'detection', line: renderCyberTraceFormat(settings.output.eventFormat, settings, input) };
}

/** Lines of a user file of events: one per line, blank lines and # comments skipped. */
export function eventsFromText(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
}
