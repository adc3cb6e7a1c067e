/**
 * `verify`: sends the verification indicators to CyberTrace in the exact form this connector's
 * SIEM forwards them, and reads every detection that comes back with the connector's own
 * SIEM-side parser. A row is OK only when the indicator was detected with its expected category
 * and the SIEM would show the category and the indicator.
 *
 * `verifyOverHttp` asks the same indicators through CyberTrace's HTTP lookup API instead (the
 * path of KUMA's `cybertrace-http` source kind) and checks each answer the same way.
 */
import type { Connector } from '../connector/contract.js';
import type { Site } from '../model/site.js';
import { lookupEvent, type LookupOptions } from './lookup-client.js';
import { httpLookupRoute, type HttpLookupOptions, type LookupAnswer, type LookupRoute } from './http-lookup.js';
import { indicatorKey, VERIFICATION_INDICATORS, type VerificationIndicator } from '../cybertrace/indicators.js';

export interface VerifyRow {
  indicator: string;
  type: string;
  feed: string;
  sent: string;
  detected: boolean;
  category?: string;
  contextPairs?: number;
  ok: boolean;
  problem?: string;
  /** Fields of the detection a SIEM reading by the format's specification shows differently (CEF: unescaped values). */
  warnings?: string[];
  replies: string[];
}

export interface VerifyOptions {
  host?: string;
  port?: number;
  timeoutMs: number;
  indicators?: readonly VerificationIndicator[];
  /** Called after each indicator, for progress displays. */
  onRow?: (row: VerifyRow, index: number, total: number) => void;
}

/**
 * All indicators are looked up at the same time, each on a connection of its own, under one
 * deadline (`timeoutMs` from the start): a service that never sends a finished event costs one
 * timeout, not one per indicator. Rows come back, and `onRow` is called, in indicator order.
 */
export async function verifyConnector(connector: Connector, site: Site, opts: VerifyOptions): Promise<VerifyRow[]> {
  const indicators = opts.indicators ?? VERIFICATION_INDICATORS;
  const lookup: LookupOptions = {
    host: opts.host ?? site.cybertrace.address,
    port: opts.port ?? site.cybertrace.input_port,
    deadline: Date.now() + opts.timeoutMs,
    timeoutMs: opts.timeoutMs,
    // A connector whose settings pin the FinishedEventFormat text gets finished events with that text.
    finishedMarker: connector.cybertrace(site).output.finishedEventText,
  };
  const rows: VerifyRow[] = [];
  const ready = new Map<number, VerifyRow>();
  // Progress follows indicator order: a row is reported once every row before it is.
  const report = (index: number, row: VerifyRow) => {
    ready.set(index, row);
    while (ready.has(rows.length)) {
      rows.push(ready.get(rows.length)!);
      opts.onRow?.(rows.at(-1)!, rows.length - 1, indicators.length);
    }
  };
  const settled = await Promise.allSettled(
    indicators.map(async (ind, i) => {
      const sent = connector.wire.forwardedEvent(ind, site);
      const { replies, finished } = await lookupEvent(sent, lookup);
      report(i, judge(connector, site, ind, sent, replies, finished));
    }),
  );
  // Every lookup has ended (its socket closed) before a failure is reported.
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return rows;
}

/** A URL feed record may match a prefix of the sent URL (host, or host and path), as URL masks do. */
function sameIndicator(got: string, want: string): boolean {
  return got === want || (want.startsWith(got) && /^[/?:#]/.test(want.slice(got.length)));
}

function judge(connector: Connector, site: Site, ind: VerificationIndicator, sent: string, replies: string[], finished: boolean): VerifyRow {
  const row: VerifyRow = { indicator: ind.value, type: ind.type, feed: ind.feed, sent, detected: false, ok: false, replies };
  const problems: string[] = [];
  const want = indicatorKey(ind.value);
  for (const line of replies) {
    let parsed;
    try {
      parsed = connector.wire.parseEvent(connector.wire.asReceived ? connector.wire.asReceived(line, site) : line, site);
    } catch (e) {
      problems.push(`the ${connector.title} parser cannot read the reply: ${(e as Error).message}`);
      continue;
    }
    if (parsed.kind !== 'detection') continue;
    const got = parsed.fields.indicator;
    if (got === undefined || !sameIndicator(indicatorKey(got), want)) {
      problems.push(`detection for another indicator (${got ?? 'none'}) — the CyberTrace regexps may pick the wrong field`);
      continue;
    }
    if (!parsed.fields.category) problems.push('the SIEM parser finds no category');
    for (const w of connector.wire.strictMisreads?.(line, site) ?? []) {
      row.warnings ??= [];
      if (!row.warnings.includes(w)) row.warnings.push(w);
    }
    // Several feeds may detect one indicator: the row shows the expected category when one of them has it.
    if (!row.detected || parsed.fields.category === ind.category) {
      row.category = parsed.fields.category;
      row.contextPairs = parsed.context.length;
    }
    row.detected = true;
  }
  if (!row.detected && problems.length === 0) {
    problems.push(finished ? 'not detected (is the feed enabled and up to date? do the CyberTrace regexps match this event?)' : 'no answer before the timeout');
  }
  if (row.detected && row.category && row.category !== ind.category) problems.push(wrongCategory(row.category, ind));
  row.ok = row.detected && problems.length === 0;
  if (problems.length > 0) row.problem = problems.join('; ');
  return row;
}

function wrongCategory(got: string, ind: VerificationIndicator): string {
  return `detected as ${got}, expected ${ind.category} (is the ${ind.feed} feed enabled, or does a custom feed hold this indicator?)`;
}

export interface HttpVerifyOptions extends HttpLookupOptions {
  indicators?: readonly VerificationIndicator[];
  /** Told which request answered (and, after a fallback, why another one). */
  onRoute?: (route: LookupRoute) => void;
}

/** All indicators in one lookup request; each answer is judged like a detection event. */
export async function verifyOverHttp(opts: HttpVerifyOptions): Promise<VerifyRow[]> {
  // The API is asked for the indicator alone: an indicator sent again only for the event around it adds nothing.
  const indicators = opts.indicators ?? VERIFICATION_INDICATORS.filter((i) => i.user === undefined);
  const { answers, route } = await httpLookupRoute(
    opts,
    indicators.map((i) => i.value),
  );
  opts.onRoute?.(route);
  return indicators.map((ind, i) => judgeAnswer(ind, answers.find((a) => a.object === ind.value) ?? answers[i]));
}

function judgeAnswer(ind: VerificationIndicator, answer: LookupAnswer): VerifyRow {
  const sent = JSON.stringify({ object: ind.value });
  const row: VerifyRow = { indicator: ind.value, type: ind.type, feed: ind.feed, sent, detected: false, ok: false, replies: [JSON.stringify(answer)] };
  const problems: string[] = [];
  // The answer belongs to the object by construction; detected_indicator may be a URL mask, so it is not compared.
  const hits = answer.categories;
  if (hits.length === 0) {
    problems.push('not detected (is the feed enabled and up to date?)');
  } else {
    row.detected = true;
    const hit = hits.find((c) => c.category === ind.category) ?? hits[0];
    row.category = hit.category;
    row.contextPairs = Object.keys(hit.context).length;
    if (hit.category !== ind.category) problems.push(wrongCategory(hit.category, ind));
  }
  row.ok = row.detected && problems.length === 0;
  if (problems.length > 0) row.problem = problems.join('; ');
  return row;
}
