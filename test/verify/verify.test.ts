/**
 * `verify` against a CyberTrace-compatible test server (real PCRE regexps, the bundle's own
 * formats) for every connector; a deliberately mismatched output format must be caught.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allConnectors, getConnector } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/types.js';
import { exampleSite } from '../helpers/bundles.js';
import { startCyberTraceServer, type CyberTraceServer } from '../helpers/cybertrace-server.js';
import { demoFeed } from '../helpers/demo-feed.js';
import { verifyConnector } from '../../src/verify/verify.js';
import { VERIFICATION_INDICATORS } from '../../src/verify/indicators.js';
import { runCliAsync } from '../helpers/cli-async.js';

const site = exampleSite();

let server: CyberTraceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serverFor(c: Connector, eventFormatOf: Connector = c, behaviour: 'normal' | 'hang' | 'refuse' = 'normal'): Promise<CyberTraceServer> {
  const settings = c.cybertrace(site);
  const out = eventFormatOf.cybertrace(site);
  return startCyberTraceServer({
    regexps: settings.input.regexps,
    feed: demoFeed(),
    eventFormat: out.output.eventFormat,
    recordFieldContextFormat: out.output.recordFieldContextFormat,
    actionableFieldContextFormat: out.output.actionableFieldContextFormat,
    // Like a service configured with the bundle: a pinned FinishedEventFormat text is what it sends.
    ...(settings.output.finishedEventText !== undefined ? { finishedEvent: () => settings.output.finishedEventText! } : {}),
    behaviour,
  });
}

describe('ctconnect verify', () => {
  it.each(allConnectors().map((c) => c.id))('%s: every test indicator is detected and parsed by the SIEM side', async (id) => {
    const c = getConnector(id);
    server = await serverFor(c);
    const rows = await verifyConnector(c, site, { host: server.host, port: server.port, timeoutMs: 5000 });
    expect(server.headers).toEqual(['X-KF-SendFinishedEventX-KF-ReplyBack']);
    expect(rows.filter((r) => !r.ok)).toEqual([]);
    expect(rows).toHaveLength(VERIFICATION_INDICATORS.length);
    for (const r of rows) {
      expect(r.category).toMatch(/^KL_/);
      expect(r.contextPairs).toBeGreaterThan(0);
    }
  });

  it('catches a CyberTrace output format that does not match the SIEM side', async () => {
    const fsm = getConnector('fortisiem');
    const other = allConnectors().find((c) => c.id !== 'fortisiem')!;
    server = await serverFor(fsm, other);
    const rows = await verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 5000 });
    expect(rows.every((r) => !r.ok)).toBe(true);
    expect(rows[0].problem).toMatch(/FortiSIEM parser cannot read the reply/);
  });

  it('says when nothing answers before the timeout', async () => {
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm, fsm, 'hang');
    const rows = await verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 300, indicators: VERIFICATION_INDICATORS.slice(0, 1) });
    expect(rows[0]).toMatchObject({ ok: false, detected: false, problem: 'no answer before the timeout' });
  });

  it('reports a refused connection clearly', async () => {
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm, fsm, 'refuse');
    await expect(verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 2000 })).rejects.toThrow(/connection refused/);
  });

  it('CLI: prints a table, exits 0 when all is well and 1 when the formats disagree', async () => {
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm);
    const ok = await runCliAsync(['verify', 'fortisiem', '--to', `127.0.0.1:${server.port}`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('fakess123.nu');
    expect(ok.stdout).toContain(`verify fortisiem: all ${VERIFICATION_INDICATORS.length} indicators detected and parsed`);
    await server.close();
    server = await serverFor(fsm, allConnectors().find((c) => c.id !== 'fortisiem')!);
    const bad = await runCliAsync(['verify', 'fortisiem', '--to', `127.0.0.1:${server.port}`, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).ok).toBe(false);
  });
});
