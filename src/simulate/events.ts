/**
 * Sample events in a connector's output format, as CyberTrace would send them to the SIEM:
 * service alerts and detections for the site's categories with the documented test indicators.
 */
import type { CyberTraceSettings } from '../cybertrace/types.js';
import type { Site } from '../config/site.js';
import { renderCyberTraceFormat, type RenderedEventInput } from '../cybertrace/render-event.js';
import type { EventSource } from './send.js';

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
 * The sample events of one run (alerts and detections interleaved, one alert per 10 events).
 * They are rendered once: alerts whole, detections (one per category) with a gap where the
 * per-event id goes, and kept as UTF-8 bytes too. `simulate` sends hundreds of thousands of
 * events, and rendering or encoding each one from its format string is what limited the rate;
 * filling the gap gives the same text.
 */
export function sampleEvents(settings: CyberTraceSettings, site: Site, now = new Date()): EventSource {
  const date = dateOf(now);
  const alertFormat = settings.output.alertFormat;
  const alerts = alertFormat ? ALERTS.map(([alert, context]) => renderCyberTraceFormat(alertFormat, settings, { values: { Alert: alert, Date: date }, context })) : [];
  const names = [...site.categories.kaspersky, ...site.categories.custom.map((c) => c.name)];
  const categories = names.length > 0 ? names : ['KL_Malicious_URL'];
  const detections = categories.map((category) => detectionOf(category, settings, date, ID_GAP).split(ID_GAP));
  const alertBytes = alerts.map((a) => Buffer.from(`${a}\n`));
  const detectionBytes = detections.map((parts) => parts.map((p, k) => Buffer.from(k === parts.length - 1 ? `${p}\n` : p)));
  const isAlert = (i: number) => i % 10 === 0 && alerts.length > 0;
  return {
    line: (i) => (isAlert(i) ? alerts[(i / 10) % alerts.length] : detections[i % detections.length].join(String(1000 + i))),
    maxBytes: Math.max(...alertBytes.map((b) => b.length), ...detectionBytes.map((parts) => parts.reduce((n, p) => n + p.length, 0) + (parts.length - 1) * MAX_ID_DIGITS)),
    encode(i, out, at) {
      if (isAlert(i)) {
        const alert = alertBytes[(i / 10) % alertBytes.length];
        out.set(alert, at);
        return at + alert.length;
      }
      const parts = detectionBytes[i % detectionBytes.length];
      out.set(parts[0], at);
      at += parts[0].length;
      for (let k = 1; k < parts.length; k++) {
        at = writeDigits(1000 + i, out, at);
        out.set(parts[k], at);
        at += parts[k].length;
      }
      return at;
    },
  };
}

/** Writes the decimal digits of a whole number n ≥ 0 at `at`; returns the end. (Buffer.write of String(n) costs several times more.) */
function writeDigits(n: number, out: Buffer, at: number): number {
  let len = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) len++;
  for (let k = at + len - 1; k >= at; k--) {
    out[k] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + len;
}

/** Event numbers are safe integers, so an id (1000 + i) has at most 16 digits. */
const MAX_ID_DIGITS = 16;

/** Stands for the id while rendering; XML cannot hold U+0000, so no format or setting contains it. */
const ID_GAP = '\u0000';

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

/** The given lines, in order and cycling (a user's file of events). */
export function cyclingEvents(lines: readonly string[]): EventSource {
  const bytes = lines.map((l) => Buffer.from(`${l}\n`));
  return {
    line: (i) => lines[i % lines.length],
    maxBytes: Math.max(...bytes.map((b) => b.length)),
    encode(i, out, at) {
      const b = bytes[i % bytes.length];
      out.set(b, at);
      return at + b.length;
    },
  };
}

/** Lines of a user file of events: one per line, blank lines and # comments skipped. */
export function eventsFromText(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
}
