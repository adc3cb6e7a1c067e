/**
 * The rsyslog rules checked by rsyslogd itself: `rsyslogd -N1` on a minimal configuration and on
 * OSSIM-shaped rsyslog.conf files after the deployer's block merge, then a real rsyslogd routing
 * traffic: a listed device's line reaches a TCP listener standing in for CyberTrace (and the
 * bundle's CyberTrace regexps find the indicator in what arrives), an unlisted one does not, and
 * an event from CyberTrace lands in the plugin's log file, where the plugin reads it.
 * logrotate -d checks the logrotate file.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFor, exampleSite, fileText } from '../helpers/bundles.js';
import { pcreExtract } from '../../src/cybertrace/pcre.js';
import { mergeMarkedBlock } from '../../src/deploy/merge.js';
import { alienvault, BUNDLE_PATH } from '../../connectors/alienvault/index.js';
import { REGEXPS } from '../../connectors/alienvault/contract.js';
import { pluginCfg } from '../../connectors/alienvault/plugin-cfg.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import type { Site } from '../../src/model/site.js';
import type { BundleFile } from '../../src/model/bundle.js';
import { runAgent } from './agent.js';
import { rsyslogHeader, startRsyslog, waitFor, type RunningRsyslog } from '../helpers/rsyslog.js';
import { freePort } from '../helpers/net.js';
import { buildBundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctconnect-rsyslog-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function rsyslogCheck(confText: string, name: string): { code: number; output: string } {
  const conf = join(dir, name);
  writeFileSync(conf, confText);
  const r = spawnSync('rsyslogd', ['-N1', '-f', conf], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const header = rsyslogHeader;

const bundle = await bundleFor('alienvault');
const file = (path: string): BundleFile => bundle.files.find((f) => f.path === path)!;

describe('rsyslogd -N1', () => {
  it('accepts the forwarding and inbound rules', () => {
    const text = header(dir) + fileText(bundle, BUNDLE_PATH.forward) + fileText(bundle, BUNDLE_PATH.inbound);
    const r = rsyslogCheck(text, 'minimal.conf');
    expect(r.output).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  });

  it('rejects a broken rule (the check can fail)', () => {
    const r = rsyslogCheck(header(dir) + fileText(bundle, BUNDLE_PATH.forward).replace('}', ''), 'broken.conf');
    expect(r.code).not.toBe(0);
  });

  const ossimConf = (withZasec: boolean) =>
    [
      '$ModLoad imuxsock',
      '$ModLoad imudp',
      '$UDPServerRun 514',
      `$WorkDirectory ${dir}`,
      '$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat',
      'auth,authpriv.*   /var/log/auth.log',
      ...(withZasec ? ['# rsyslog zasec.conf', ':msg, contains, "zasec" /var/log/ossim/zasec.log'] : []),
      "if not ($fromhost-ip == '127.0.0.1') then -/var/log/ossim/asec_unk.log",
      "if not ($fromhost-ip == '127.0.0.1') then ~",
      '*.*;auth,authpriv.none   -/var/log/syslog',
      '',
    ].join('\n');

  function mergeBoth(old: string): string {
    let text = old;
    for (const p of [BUNDLE_PATH.forward, BUNDLE_PATH.inbound]) {
      const f = file(p);
      expect(f.install?.merge?.kind).toBe('marked-block');
      if (f.install?.merge?.kind !== 'marked-block') throw new Error('unreachable');
      text = mergeMarkedBlock(f.install.merge, text, f.content as string);
    }
    return text;
  }

  it.each([
    ['with "# rsyslog zasec.conf": right after it', true],
    ['without it: before the asec_unk lines', false],
  ])('accepts an OSSIM rsyslog.conf after the block merge (%s)', (_label, withZasec) => {
    const merged = mergeBoth(ossimConf(withZasec));
    const lines = merged.split('\n');
    const firstBlock = lines.findIndex((l) => l.startsWith('# BEGIN ctconnect kaspersky-cybertrace'));
    const asec = lines.findIndex((l) => l.includes('asec_unk.log'));
    expect(firstBlock).toBeGreaterThan(-1);
    expect(firstBlock).toBeLessThan(asec);
    if (withZasec) expect(lines[firstBlock - 1]).toBe('# rsyslog zasec.conf');
    else expect(lines[firstBlock - 1]).toBe('auth,authpriv.*   /var/log/auth.log');
    // Merging again replaces the blocks in place.
    expect(mergeBoth(merged)).toBe(merged);
    const r = rsyslogCheck(merged, `ossim-${withZasec}.conf`);
    expect(r.output).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  });

  it('the install specs validate with rsyslogd -N1 and restart rsyslog', () => {
    for (const p of [BUNDLE_PATH.forward, BUNDLE_PATH.inbound]) {
      const install = file(p).install!;
      expect(install).toMatchObject({ role: 'alienvault', path: '/etc/rsyslog.conf', validate: 'rsyslogd -N1 -f {file}', notify: ['rsyslog-restart'] });
      expect(install.merge).toMatchObject({ kind: 'marked-block', after: '# rsyslog zasec.conf', commentPrefix: '#' });
    }
    expect(bundle.steps.find((s) => s.id === 'rsyslog-restart')).toMatchObject({ role: 'alienvault', timeoutSec: 60 });
  });
});

describe('logrotate -d', () => {
  it('accepts the logrotate file', () => {
    const conf = join(dir, 'kaspersky_cybertrace');
    writeFileSync(conf, fileText(bundle, BUNDLE_PATH.logrotate));
    chmodSync(conf, 0o644);
    const r = spawnSync('logrotate', ['-d', '-s', join(dir, 'logrotate.state'), conf], { encoding: 'utf8', timeout: 30_000 });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toContain('/var/log/kaspersky_cyberTrace.log');
    expect(out).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(file(BUNDLE_PATH.logrotate).install).toMatchObject({ path: '/etc/logrotate.d/kaspersky_cybertrace', validate: 'logrotate -d {file}', mode: 0o644 });
  });
});

/** A real rsyslogd routing the rules, with 127.0.0.x addresses standing in for devices and CyberTrace. */
describe('rsyslogd routes with the generated rules', () => {
  const DEVICE = '127.0.0.2';
  const CYBERTRACE = '127.0.0.3';
  const STRANGER = '127.0.0.4';
  let rsyslog: RunningRsyslog;
  let listener: Server;
  const received: string[] = [];
  let site: Site;
  let logFile: string;

  const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
  const send = (from: string, line: string) => rsyslog.send(from, line);

  beforeAll(async () => {
    listener = createServer((sock) => {
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString('utf8');
        const parts = buf.split('\n');
        buf = parts.pop()!;
        received.push(...parts);
      });
    });
    const ctPort = await listen(listener);

    // The example site, pointed at loopback (the schema's checks would refuse 127.x devices, so patch after loading).
    const base = exampleSite();
    logFile = join(dir, 'kaspersky_cyberTrace.log');
    site = {
      ...base,
      cybertrace: { ...base.cybertrace, address: '127.0.0.1', input_port: ctPort },
      siems: {
        ...base.siems,
        alienvault: {
          ...base.siems.alienvault,
          devices: [{ ip: '198.51.100.1' }, { ip: DEVICE }],
          cybertrace_source_ip: CYBERTRACE,
          log_file: logFile,
          forward_copy_file: join(dir, 'forwarded.log'),
        },
      },
    };
    const files = (await buildBundle(alienvault, site, createRenderer())).files;
    const block = (p: string) => files.find((f) => f.path === p)!.content as string;
    rsyslog = await startRsyslog(dir, await freePort(), `${block(BUNDLE_PATH.forward)}${block(BUNDLE_PATH.inbound)}`, 'routing.conf');
  });

  afterAll(async () => {
    await rsyslog?.stop();
    await new Promise((r) => listener.close(r));
  });

  it('forwards a listed device to CyberTrace, where the bundle regexps find the indicator', async () => {
    const line = alienvault.wire.forwardedEvent({ type: 'url', value: 'fakess123.nu' }, site);
    await send(DEVICE, line.replace(/^<\d+>/, '<134>'));
    await send(STRANGER, '<134>Jan  1 00:00:00 other app: url=http://not-forwarded.example/');
    await waitFor(() => received.length > 0 && existsSync(join(dir, 'forwarded.log')), 'the forwarded event');
    // Let the stranger's line arrive too if it were (wrongly) forwarded.
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(1);
    const arrived = received[0];
    expect(arrived).toMatch(/^<134>/);
    const byName = new Map(REGEXPS.map((r) => [r.name, r]));
    expect(pcreExtract(byName.get('RE_URL')!.pattern, arrived)).toEqual(['fakess123.nu']);
    expect(pcreExtract(byName.get('SRC_IP')!.pattern, arrived, 'first')).toEqual(['10.20.30.40']);
    expect(readFileSync(join(dir, 'forwarded.log'), 'utf8')).toContain('fakess123.nu');
  });

  it("writes CyberTrace's events to the log file, where the plugin reads them", async () => {
    const settings = alienvault.cybertrace(site);
    const event = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: {
        Category: 'KL_Phishing_URL',
        MatchedIndicator: 'test.phishing.example.com/psh/test?p=1&p=2',
        RE_URL: 'test.phishing.example.com/psh/test?p=1&p=2',
        SRC_IP: '10.9.8.7',
      },
      context: [
        ['first_seen', '10.07.2015 23:53'],
        ['popularity', '1'],
      ],
    });
    await send(CYBERTRACE, event + '\r');
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('\n'), 'the log file');
    const written = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    expect(written).toHaveLength(1);
    // Nothing of CyberTrace's went to CyberTrace again.
    expect(received.some((l) => l.includes('KL_Phishing_URL'))).toBe(false);
    const agent = runAgent(pluginCfg(site), written);
    expect(agent.code).toBe(0);
    expect(agent.results[0].attributes).toMatchObject({
      plugin_sid: '11',
      src_ip: '10.9.8.7',
      userdata1: 'KL_Phishing_URL',
      userdata2: 'test.phishing.example.com/psh/test?p=1&p=2',
      userdata3: 'first_seen=10.07.2015 23:53 popularity=1',
    });
    expect(alienvault.wire.parseEvent(written[0], site).fields).toMatchObject({ category: 'KL_Phishing_URL', src_ip: '10.9.8.7' });
  });
});
