/**
 * AlienVault end to end through a real rsyslogd: a device's syslog lines are forwarded by the
 * generated omfwd rule to the CyberTrace test server, whose detections go back to rsyslog (the
 * bundle's OutputSettings) and land, by the generated inbound rule, in the log file the plugin
 * reads; the plugin's rules (Python, as the agent reads them) parse every one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alienvault, BUNDLE_PATH } from '../../connectors/alienvault/index.js';
import { pluginCfg } from '../../connectors/alienvault/plugin-cfg.js';
import { pluginSidRows } from '../../connectors/alienvault/sql.js';
import { createRenderer } from '../../src/render/engine.js';
import { VERIFICATION_INDICATORS } from '../../src/verify/indicators.js';
import type { Site } from '../../src/config/site.js';
import { exampleSite } from '../helpers/bundles.js';
import { startCyberTraceServer, type CyberTraceServer } from '../helpers/cybertrace-server.js';
import { startRsyslog, waitFor, type RunningRsyslog } from '../helpers/rsyslog.js';
import { freePort } from '../helpers/net.js';
import { runAgent } from '../alienvault/agent.js';
import { demoFeed } from '../helpers/demo-feed.js';

const DEVICE = '127.0.0.2';
const CYBERTRACE = '127.0.0.3';

describe('AlienVault through a real rsyslog and the CyberTrace test server', () => {
  let dir: string;
  let rsyslog: RunningRsyslog;
  let server: CyberTraceServer;
  let site: Site;
  let logFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctconnect-e2e-'));
    logFile = join(dir, 'kaspersky_cyberTrace.log');
    const rsyslogPort = await freePort();
    const base = exampleSite();
    const settingsOf = (s: Site) => alienvault.cybertrace(s);
    const proto = settingsOf(base);
    server = await startCyberTraceServer({
      regexps: proto.input.regexps,
      feed: demoFeed(),
      eventFormat: proto.output.eventFormat,
      recordFieldContextFormat: proto.output.recordFieldContextFormat,
      output: { host: '127.0.0.1', port: rsyslogPort, localAddress: CYBERTRACE },
    });
    site = {
      ...base,
      cybertrace: { ...base.cybertrace, address: '127.0.0.1', input_port: server.port },
      siems: { ...base.siems, alienvault: { ...base.siems.alienvault, devices: [{ ip: DEVICE }], cybertrace_source_ip: CYBERTRACE, log_file: logFile } },
    };
    const files = (await alienvault.files(site, createRenderer()));
    const block = (p: string) => files.find((f) => f.path === p)!.content as string;
    rsyslog = await startRsyslog(dir, rsyslogPort, `${block(BUNDLE_PATH.forward)}${block(BUNDLE_PATH.inbound)}`);
  });

  afterAll(async () => {
    await rsyslog?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('detections of forwarded device events reach the plugin with category, indicator and context', async () => {
    const indicators = VERIFICATION_INDICATORS;
    for (const ind of indicators) await rsyslog.send(DEVICE, alienvault.wire.forwardedEvent(ind, site));
    const logged = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).length : 0);
    await waitFor(() => logged() >= indicators.length, `${indicators.length} detections in the log file`, 400);
    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(indicators.length);
    // Every event CyberTrace received came through the omfwd rule from the device.
    expect(server.events).toHaveLength(indicators.length);

    const agent = runAgent(pluginCfg(site), lines);
    expect(agent.code, agent.stderr).toBe(0);
    const sids = new Set(pluginSidRows(site).map((r) => String(r.sid)));
    const seen = agent.results.map((r) => r.attributes!);
    for (const ind of indicators) {
      const hit = seen.find((a) => a.userdata3?.includes(`mask=${ind.value}`));
      expect(hit, `no plugin event for ${ind.value}`).toBeDefined();
      expect(hit!.userdata1).toBe(ind.category);
      expect(ind.value.toLowerCase()).toContain(hit!.userdata2.toLowerCase().replace(/\/$/, ''));
      expect(sids.has(hit!.plugin_sid)).toBe(true);
      expect(hit!.src_ip).toBe('10.20.30.40');
    }
  });
});
