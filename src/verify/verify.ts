/**
 * `verify`: sends the verification indicators to CyberTrace in the exact form this connector's
 * SIEM forwards them, and reads every detection that comes back with the connector's own
 * SIEM-side parser. A row is OK only when the indicator was detected and the SIEM would show
 * the category and the indicator.
 */
import type { Connector } from '../../connectors/types.js';
import type { Site } from '../config/site.js';
import { LookupClient } from './lookup-client.js';
import { indicatorKey, VERIFICATION_INDICATORS, type VerificationIndicator } from './indicators.js';

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

export async function verifyConnector(connector: Connector, site: Site, opts: VerifyOptions): Promise<VerifyRow[]> {
  const client = await LookupClient.open({
    host: opts.host ?? site.cybertrace.address,
    port: opts.port ?? site.cybertrace.input_port,
    timeoutMs: opts.timeoutMs,
  });
  const rows: VerifyRow[] = [];
  try {
    const indicators = opts.indicators ?? VERIFICATION_INDICATORS;
    for (const ind of indicators) {
      const sent = connector.wire.forwardedEvent(ind, site);
      const { replies, finished } = await client.lookup(sent);
      rows.push(judge(connector, site, ind, sent, replies, finished));
      opts.onRow?.(rows.at(-1)!, rows.length - 1, indicators.length);
    }
  } finally {
    client.close();
  }
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
    row.detected = true;
    row.category = parsed.fields.category;
    row.contextPairs = parsed.context.length;
    if (!parsed.fields.category) problems.push('the SIEM parser finds no category');
  }
  if (!row.detected && problems.length === 0) {
    problems.push(finished ? 'not detected (is the feed enabled and up to date? do the CyberTrace regexps match this event?)' : 'no answer before the timeout');
  }
  row.ok = row.detected && problems.length === 0;
  if (problems.length > 0) row.problem = problems.join('; ');
  return row;
}
