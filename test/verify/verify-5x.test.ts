/**
 * `verify` against a CyberTrace 5.x with tenants: `--http` asks API 1.3's route of the SIEM's
 * tenant and, where that answers 404 (no multitenancy licence), `/api/1.2/lookup` (the General
 * tenant), saying so; the TCP verify sends to the input port of the SIEM's tenant. Only loopback.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { getConnector } from '../../connectors/registry.js';
import { connectorSite } from '../../src/bundle/build.js';
import { verifyConnector } from '../../src/verify/verify.js';
import { VERIFICATION_INDICATORS } from '../../src/cybertrace/indicators.js';
import { siteFromYaml } from '../helpers/bundles.js';
import { demoFeed } from '../../src/verify/demo-feed.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { startCyberTraceHttpServer, type CyberTraceHttpServer } from '../../src/cybertrace/http-server.js';

const EXAMPLE = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'site.yaml'), 'utf8');

/** The example site on a loopback CyberTrace 5.x with a tenant per SIEM; `splunkPort` is SOC-Splunk's input port. */
function siteText(splunkPort = 9996): string {
  const doc = parse(EXAMPLE) as Record<string, unknown>;
  doc.cybertrace = {
    address: '127.0.0.1',
    version: '5.x',
    tenants: [
      { name: 'General', serves: ['fortisiem'] },
      { name: 'SOC-AlienVault', serves: ['alienvault'], input_port: 9997 },
      { name: 'SOC-Splunk', serves: ['splunk'], input_port: splunkPort },
      { name: 'SOC-KUMA', serves: ['kuma'], input_port: 9995 },
      { name: 'SOC-ArcSight', serves: ['arcsight'], input_port: 9994 },
      { name: 'SOC-QRadar', serves: ['qradar'], input_port: 9993 },
    ],
  };
  return stringify(doc);
}

describe('verify --http against a 5.x CyberTrace', () => {
  let dir: string;
  let http: CyberTraceHttpServer | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctconnect-verify-5x-'));
    writeFileSync(join(dir, 'site.yaml'), siteText());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  it("asks API 1.3 in the SIEM's tenant", async () => {
    http = await startCyberTraceHttpServer({ feed: demoFeed(), tenants: ['General', 'SOC-Splunk'] });
    const r = await runCliAsync(['verify', 'splunk', '--http', '--to', http.url, '-c', join(dir, 'site.yaml'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ via: 'http', ok: true, target: `CyberTrace HTTP lookup API ${http.url}/api/1.3/SOC-Splunk/lookup` });
    expect(out.fallback).toBeUndefined();
    expect(http.requests.map((q) => q.path)).toEqual(['/api/1.3/SOC-Splunk/lookup']);
    const general = await runCliAsync(['verify', 'fortisiem', '--http', '--to', http.url, '-c', join(dir, 'site.yaml'), '--json']);
    expect(general.code, general.stderr).toBe(0);
    expect(http.requests.at(-1)!.path).toBe('/api/1.3/General/lookup');
  });

  it('falls back to /api/1.2/lookup (the General tenant) where the tenant route answers 404, and says so', async () => {
    http = await startCyberTraceHttpServer({ feed: demoFeed(), multitenancy: false });
    const r = await runCliAsync(['verify', 'splunk', '--http', '--to', http.url, '-c', join(dir, 'site.yaml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(http.requests.map((q) => q.path)).toEqual(['/api/1.3/SOC-Splunk/lookup', '/api/1.2/lookup']);
    expect(r.stderr).toMatch(
      /\/api\/1\.3\/SOC-Splunk\/lookup answered 404 \(this CyberTrace has no multitenancy licence, or no tenant "SOC-Splunk"\): asked \/api\/1\.2\/lookup instead, which looks up in the General tenant/,
    );
    expect(r.stdout).toMatch(/all \d+ indicators detected .*\/api\/1\.2\/lookup\)/);
    const json = JSON.parse((await runCliAsync(['verify', 'splunk', '--http', '--to', http.url, '-c', join(dir, 'site.yaml'), '--json'])).stdout);
    expect(json.fallback).toMatch(/answered 404/);
  });
});

describe('verify (TCP) against a 5.x CyberTrace', () => {
  let listener: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    if (listener) await new Promise((r) => listener!.close(r));
  });

  it("sends the events to the input port of the SIEM's tenant", async () => {
    const received: string[] = [];
    listener = createServer((s) => {
      sockets.add(s);
      s.setEncoding('utf8');
      s.on('data', (d: string) => received.push(d));
      s.on('error', () => {});
    });
    const port = await new Promise<number>((r) => listener!.listen(0, '127.0.0.1', () => r((listener!.address() as { port: number }).port)));
    const site = connectorSite(siteFromYaml(siteText(port)), 'splunk');
    expect(site.cybertrace.input_port).toBe(port);
    // Nothing answers, so every row times out; what matters is where the events went.
    const rows = await verifyConnector(getConnector('splunk'), site, { timeoutMs: 500, indicators: VERIFICATION_INDICATORS.slice(0, 1) });
    expect(rows[0].ok).toBe(false);
    expect(received.join('')).toContain(VERIFICATION_INDICATORS[0].value);
  });
});
