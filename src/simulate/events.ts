/**
 * Sample events in a connector's output format, as CyberTrace would send them to the SIEM:
 * service alerts and detections for the site's categories with the documented test indicators.
 */
import type { CyberTraceSettings } from '../model/cybertrace.js';
import type { Site } from '../model/site.js';
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
  [
    'KL_ALERT_UpdatedFeed',
    [
      ['feed', 'Malicious_URL_Data_Feed.json'],
      ['records', '200473'],
    ],
  ],
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
 * per-event id goes. `simulate` sends hundreds of thousands of events, and rendering or encoding
 * each one from its format string is what limited the rate; filling the gap gives the same text.
 */
export function sampleEvents(settings: CyberTraceSettings, site: Site, now = new Date()): EventSource {
  const date = dateOf(now);
  const alertFormat = settings.output.alertFormat;
  const alerts = alertFormat
    ? ALERTS.map(([alert, context]) => renderCyberTraceFormat(alertFormat, settings, { values: { Alert: alert, Date: date }, context }))
    : [];
  const names = [...site.categories.kaspersky, ...site.categories.custom.map((c) => c.name)];
  const categories = names.length > 0 ? names : ['KL_Malicious_URL'];
  const detections = categories.map((category) => detectionOf(category, settings, date, ID_GAP).split(ID_GAP));
  const alertBytes = alerts.map((a) => Buffer.from(`${a}\n`));
  const isAlert = (i: number) => i % 10 === 0 && alerts.length > 0;
  const idLines = new IdLines(detections);
  return {
    line: (i) => (isAlert(i) ? alerts[(i / 10) % alerts.length] : detections[i % detections.length].join(String(1000 + i))),
    maxBytes: Math.max(...alertBytes.map((b) => b.length), idLines.maxBytes),
    fill(out, cursor, to, limit) {
      let i = cursor.next;
      let at = cursor.at;
      // The id of event i is 1000 + i; its digits are counted up rather than worked out per event.
      const id = new IdDigits(1000 + i);
      for (; i < to && at < limit; i++, id.increment()) {
        if (isAlert(i)) {
          const alert = alertBytes[(i / 10) % alertBytes.length];
          out.set(alert, at);
          at += alert.length;
        } else at = idLines.write(i % detections.length, id, out, at);
      }
      cursor.next = i;
      cursor.at = at;
    },
  };
}

/** The decimal digits of a whole number, kept as ASCII bytes and counted up in place. */
class IdDigits {
  /** The digits, right-aligned: the number is bytes[start..]. Safe integers have at most 16. */
  readonly bytes = new Uint8Array(MAX_ID_DIGITS);
  start = MAX_ID_DIGITS;

  constructor(n: number) {
    do {
      this.bytes[--this.start] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  get width(): number {
    return MAX_ID_DIGITS - this.start;
  }

  increment(): void {
    let k = MAX_ID_DIGITS - 1;
    while (k >= this.start && this.bytes[k] === 0x39) this.bytes[k--] = 0x30;
    if (k >= this.start) this.bytes[k]++;
    else if (this.start > 0) this.bytes[--this.start] = 0x31; // 999 → 1000
  }
}

/**
 * Detection lines with an id in one or more gaps. For each id width, every line is kept as one
 * byte string with placeholder digits, so writing a line is one copy and the id's digits written
 * over the placeholders. (Copying the parts around each gap one by one, with a call per event,
 * took 9.5 ms for 200,000 events; this takes 5.6 once optimised.)
 */
class IdLines {
  readonly maxBytes: number;
  private width = -1;
  private lines: Buffer[] = [];
  /** Per line: where each gap starts. */
  private gaps: number[][] = [];

  constructor(private readonly parts: string[][]) {
    this.maxBytes = Math.max(...parts.map((p) => Buffer.byteLength(p.join('')) + 1 + (p.length - 1) * MAX_ID_DIGITS));
  }

  /** Writes line k with this id and an LF at `at`; returns the end. */
  write(k: number, id: IdDigits, out: Buffer, at: number): number {
    if (id.width !== this.width) this.prepare(id.width);
    const line = this.lines[k];
    out.set(line, at);
    const digits = id.bytes;
    const from = id.start;
    for (const gap of this.gaps[k]) {
      for (let d = from, o = at + gap; d < MAX_ID_DIGITS; d++, o++) out[o] = digits[d];
    }
    return at + line.length;
  }

  private prepare(width: number): void {
    const placeholder = '0'.repeat(width);
    this.width = width;
    this.lines = this.parts.map((p) => Buffer.from(`${p.join(placeholder)}\n`));
    this.gaps = this.parts.map((p) => {
      const starts: number[] = [];
      let at = 0;
      for (let k = 0; k < p.length - 1; k++) {
        at += Buffer.byteLength(p[k]);
        starts.push(at);
        at += width;
      }
      return starts;
    });
  }
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
    context: [
      ['first_seen', '10.07.2015 23:53'],
      ['last_seen', '04.10.2019 06:25'],
      ['popularity', '1'],
      ['id', id],
    ],
  };
  return renderCyberTraceFormat(settings.output.eventFormat, settings, input);
}

/** The given lines, in order and cycling (a user's file of events). */
export function cyclingEvents(lines: readonly string[]): EventSource {
  const bytes = lines.map((l) => Buffer.from(`${l}\n`));
  return {
    line: (i) => lines[i % lines.length],
    maxBytes: Math.max(...bytes.map((b) => b.length)),
    fill(out, cursor, to, limit) {
      let i = cursor.next;
      let at = cursor.at;
      for (; i < to && at < limit; i++) {
        const b = bytes[i % bytes.length];
        out.set(b, at);
        at += b.length;
      }
      cursor.next = i;
      cursor.at = at;
    },
  };
}

/** Lines of a user file of events: one per line, blank lines and # comments skipped. */
export function eventsFromText(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
}
