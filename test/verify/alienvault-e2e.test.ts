/**
 * AlienVault end to end through a real rsyslogd: a device's syslog lines are forwarded by the
 * generated omfwd rule to the CyberTrace test server, whose detections go back to rsyslog (the
 * bundle's OutputSettings) and land, by the generated inbound rule, in the log file the plugin
 * reads; the agent emulation (Python, reading config.cfg, the plugin and the log file as the
 * ossim-agent does) parses every one. Also: events whose contexts hold text the agent's default
 * latin1 reading breaks, a category the table does not list, and CyberTrace events that reach
 * rsyslog with a syslog header, a tag or a <PRI>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alienvault, BUNDLE_PATH } from '../../connectors/alienvault/index.js';
import { pluginCfg } from '../../connectors/alienvault/plugin-cfg.js';
import { pluginSidRows } from '../../connectors/alienvault/sql.js';
import { createRenderer } from '../../src/render/engine.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { VERIFICATION_INDICATORS } from '../../src/cybertrace/indicators.js';
import type { Site } from '../../src/model/site.js';
import { exampleSite } from '../helpers/bundles.js';
import { startCyberTraceServer, type CyberTraceServer } from '../../src/cybertrace/server.js';
import { startRsyslog, waitFor, type RunningRsyslog } from '../helpers/rsyslog.js';
import { freePort } from '../helpers/net.js';
import { runAgent, SENSOR_CONFIG_UI_ONLY } from '../alienvault/agent.js';
import { demoFeed } from '../../src/verify/demo-feed.js';
import { buildBundle } from '../../src/bundle/build.js';

const DEVICE = '127.0.0.2';
const CYBERTRACE = '127.0.0.3';

/**
 * Feed records with contexts as feeds carry them (WHOIS, geo, file names). Every one but the
 * "Société" pair holds a character whose UTF-8 has byte 0x85 (х D1 85, ą C4 85, Å C3 85,
 * 公 E5 85 AC, 入 E5 85 A5, 全 E5 85 A8); the last record's category is in no table.
 */
const RECORDS: Array<{ ip: string; category: string; context: Array<[string, string]>; userdata3: string }> = [
  {
    ip: '192.0.2.51',
    category: 'KL_IP_Reputation',
    context: [
      ['whois_org', 'ООО Сетевой хостинг'],
      ['country', 'Россия'],
    ],
    userdata3: 'whois_org=ООО Сетевой хостинг country=Россия',
  },
  {
    ip: '192.0.2.52',
    category: 'KL_IP_Reputation',
    context: [
      ['geo', 'Wąchock, Polska'],
      ['isp', 'Société Générale'],
    ],
    userdata3: 'geo=Wąchock, Polska isp=Société Générale',
  },
  {
    ip: '192.0.2.53',
    category: 'KL_IP_Reputation',
    context: [
      ['file_name', 'Årsrapport 2024.pdf'],
      ['owner', 'Ålesund kommune'],
    ],
    userdata3: 'file_name=Årsrapport 2024.pdf owner=Ålesund kommune',
  },
  {
    ip: '192.0.2.54',
    category: 'KL_IP_Reputation',
    context: [
      ['whois_org', '北京公司'],
      ['note', '入口 全部'],
    ],
    userdata3: 'whois_org=北京公司 note=入口 全部',
  },
  { ip: '192.0.2.55', category: 'OSINT_Bad_Addresses', context: [['source', 'osint list']], userdata3: 'source=osint list' },
];

describe('AlienVault through a real rsyslog and the CyberTrace test server', () => {
  let dir: string;
  let rsyslog: RunningRsyslog;
  let server: CyberTraceServer;
  let site: Site;
  let logFile: string;
  let sidOf: Map<string, string>;

  const logBytes = () => (existsSync(logFile) ? readFileSync(logFile) : Buffer.alloc(0));
  /** The log file's bytes after `offset`, once it holds `count` more lines. */
  async function linesAfter(offset: number, count: number): Promise<Buffer> {
    const added = () => logBytes().subarray(offset);
    await waitFor(() => added().filter((b) => b === 0x0a).length >= count, `${count} more lines in the log file`, 400);
    const bytes = added();
    expect(bytes.filter((b) => b === 0x0a).length).toBe(count);
    return bytes;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctconnect-e2e-'));
    logFile = join(dir, 'kaspersky_cyberTrace.log');
    const rsyslogPort = await freePort();
    const base = exampleSite();
    const settingsOf = (s: Site) => alienvault.cybertrace(s);
    const proto = settingsOf(base);
    const feed = { ...demoFeed(), ...Object.fromEntries(RECORDS.map((r) => [r.ip, { category: r.category, context: r.context }])) };
    server = await startCyberTraceServer({
      regexps: proto.input.regexps,
      feed,
      eventFormat: proto.output.eventFormat,
      recordFieldContextFormat: proto.output.recordFieldContextFormat,
      output: { host: '127.0.0.1', port: rsyslogPort, localAddress: CYBERTRACE },
    });
    site = {
      ...base,
      cybertrace: { ...base.cybertrace, address: '127.0.0.1', input_port: server.port },
      siems: { ...base.siems, alienvault: { ...base.siems.alienvault, devices: [{ ip: DEVICE }], cybertrace_source_ip: CYBERTRACE, log_file: logFile } },
    };
    sidOf = new Map(pluginSidRows(site).map((r) => [r.category, String(r.sid)]));
    const files = (await buildBundle(alienvault, site, createRenderer())).files;
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
    const offset = logBytes().length;
    const events = server.events.length;
    for (const ind of indicators) await rsyslog.send(DEVICE, alienvault.wire.forwardedEvent(ind, site));
    const log = await linesAfter(offset, indicators.length);
    // Every event CyberTrace received came through the omfwd rule from the device.
    expect(server.events.length - events).toBe(indicators.length);

    const agent = runAgent(pluginCfg(site), log);
    expect(agent.code, agent.stderr).toBe(0);
    expect(agent.results).toHaveLength(indicators.length);
    const sids = new Set(sidOf.values());
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

  describe('contexts with non-ASCII text and a category no table lists', () => {
    let log: Buffer;
    beforeAll(async () => {
      const offset = logBytes().length;
      for (const r of RECORDS) await rsyslog.send(DEVICE, alienvault.wire.forwardedEvent({ type: 'ip', value: r.ip }, site));
      log = await linesAfter(offset, RECORDS.length);
    });

    it('rsyslog writes the UTF-8 bytes as they came, 0x85 bytes included', () => {
      for (const r of RECORDS) expect(log.includes(Buffer.from(r.userdata3, 'utf8'))).toBe(true);
      expect(log.includes(0x85)).toBe(true);
    });

    it("with the bundle's config.cfg block the agent gives userdata1..3 byte for byte, the unknown category the _DEFAULT_ SID", () => {
      const agent = runAgent(pluginCfg(site), log);
      expect(agent.code, agent.stderr).toBe(0);
      // One event per line: no line was cut.
      expect(agent.results).toHaveLength(RECORDS.length);
      for (const r of RECORDS) {
        const hit = agent.results.find((x) => x.attributes?.userdata2 === r.ip)?.attributes;
        expect(hit, `no plugin event for ${r.ip}`).toBeDefined();
        const bytes = (v: string) => Buffer.from(v, 'utf8');
        expect(bytes(hit!.userdata1)).toEqual(bytes(r.category));
        expect(bytes(hit!.userdata2)).toEqual(bytes(r.ip));
        expect(bytes(hit!.userdata3)).toEqual(bytes(r.userdata3));
        expect(hit!.plugin_sid).toBe(sidOf.get(r.category) ?? '2');
      }
      expect(sidOf.has('OSINT_Bad_Addresses')).toBe(false);
    });

    it('without it (the entry the web interface writes, latin1) text arrives double-encoded and events are cut', () => {
      const agent = runAgent(pluginCfg(site), log, { agentConfig: SENSOR_CONFIG_UI_ONLY });
      expect(agent.code, agent.stderr).toBe(0);
      const latin1 = (v: string) => Buffer.from(v, 'utf8').toString('latin1');
      const event = (ip: string) => agent.results.find((x) => x.attributes?.userdata2 === ip)?.attributes;
      // One 0x85 byte: the agent joins the two pieces again, but reads them as latin1.
      expect(event('192.0.2.51')!.userdata3).toBe(latin1(RECORDS[0].userdata3));
      expect(event('192.0.2.52')!.userdata3).toBe(latin1(RECORDS[1].userdata3));
      // Two or more: only the first piece is joined; the event is cut and the rest matches no rule.
      expect(event('192.0.2.53')!.userdata3).toBe(latin1('file_name=Årsrapport 2024.pdf owner=\u00c5'));
      expect(agent.results.length).toBeGreaterThan(RECORDS.length);
      expect(agent.results.filter((x) => x.section === null).map((x) => x.line)).toContain('lesund kommune');
    });
  });

  describe('CyberTrace events as rsyslog writes them with a syslog header, a tag or a <PRI>', () => {
    const shapes: Array<[string, (event: string) => string, RegExp]> = [
      ['bare message', (e) => e, /^\w{3} [ \d]\d \d\d:\d\d:\d\d 127\.0\.0\.3 category=/],
      ['<PRI> and message', (e) => `<134>${e}`, /^\w{3} [ \d]\d \d\d:\d\d:\d\d 127\.0\.0\.3 category=/],
      ['RFC 3164 with a tag', (e) => `<134>Nov 26 12:00:00 cthost kl_feed_service: ${e}`, /^Nov 26 12:00:00 cthost kl_feed_service: category=/],
      [
        'RFC 3164 with a tag and a pid',
        (e) => `<134>Nov 26 12:00:00 cthost kl_feed_service[4242]: ${e}`,
        /^Nov 26 12:00:00 cthost kl_feed_service\[4242\]: category=/,
      ],
      ['RFC 5424', (e) => `<134>1 2026-11-26T12:00:00Z cthost kl_feed_service - - - ${e}`, /^Nov 26 12:00:00 cthost kl_feed_service category=/],
      ['a <PRI> rsyslog keeps', (e) => `<134><134>${e}`, / 127\.0\.0\.3 <134>category=/],
      ['a <PRI> after a blank, kept', (e) => ` <134>${e}`, / 127\.0\.0\.3 {2}<134>category=/],
    ];

    it('the plugin reads every shape, and so does the TS port', async () => {
      const settings = alienvault.cybertrace(site);
      const indicator = (i: number) => `tagged-${i}.example/path?q=${i}`;
      const offset = logBytes().length;
      for (const [i, [, shape]] of shapes.entries()) {
        const event = renderCyberTraceFormat(settings.output.eventFormat, settings, {
          values: { Category: 'KL_Phishing_URL', MatchedIndicator: indicator(i), RE_URL: indicator(i), SRC_IP: '10.9.8.7' },
          context: [['popularity', String(i)]],
        });
        await rsyslog.send(CYBERTRACE, shape(event));
      }
      await rsyslog.send(
        CYBERTRACE,
        `<134>Nov 26 12:00:00 cthost kl_feed_service: ${renderCyberTraceFormat(settings.output.alertFormat!, settings, { values: { Alert: 'KL_ALERT_UpdatedFeed' }, context: [['feed', 'Phishing_URL_Data_Feed.json']] })}`,
      );
      const log = await linesAfter(offset, shapes.length + 1);
      const lines = log.toString('utf8').split('\n').filter(Boolean);

      const agent = runAgent(pluginCfg(site), log);
      expect(agent.code, agent.stderr).toBe(0);
      expect(agent.results).toHaveLength(shapes.length + 1);
      for (const [i, [label, , written]] of shapes.entries()) {
        const line = lines.find((l) => l.includes(indicator(i)));
        expect(line, label).toMatch(written);
        const hit = agent.results.find((x) => x.attributes?.userdata2 === indicator(i))?.attributes;
        expect(hit, label).toMatchObject({
          plugin_sid: sidOf.get('KL_Phishing_URL'),
          src_ip: '10.9.8.7',
          userdata1: 'KL_Phishing_URL',
          userdata3: `popularity=${i}`,
        });
        expect(alienvault.wire.parseEvent(line!, site).fields, label).toMatchObject({
          category: 'KL_Phishing_URL',
          indicator: indicator(i),
          src_ip: '10.9.8.7',
        });
      }
      const alert = agent.results.find((x) => x.attributes?.plugin_sid === '1')?.attributes;
      expect(alert).toMatchObject({ userdata1: 'KL_ALERT_UpdatedFeed', userdata2: 'feed=Phishing_URL_Data_Feed.json' });
    });
  });
});
