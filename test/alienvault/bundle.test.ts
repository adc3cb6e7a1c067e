/**
 * The AlienVault bundle as a whole: golden files for the example site, the CyberTrace settings
 * of the Kaspersky CyberTrace–AlienVault integration guide, install specs and steps, and the input regexps run with a real PCRE engine on raw
 * device lines as rsyslog forwards them.
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';
import { pcreCompiles, pcreExtract } from '../../src/cybertrace/pcre.js';
import { REGEXPS } from '../../connectors/alienvault/contract.js';
import { alienvault } from '../../connectors/alienvault/index.js';
import type { Indicator } from '../../src/model/events.js';
import { applyMerge } from '../../src/deploy/merge.js';
import { runAgent, SENSOR_CONFIG_UI_ONLY } from './agent.js';

const bundle = await bundleFor('alienvault');

describe('AlienVault bundle', () => {
  it('has the CyberTrace settings of the Kaspersky CyberTrace–AlienVault integration guide', () => {
    const s = bundle.settings;
    expect(s.output.connectionString).toBe('192.0.2.20:514');
    expect(s.input.connectionString).toBe('192.0.2.10:9999');
    expect(s.output.alertFormat).toBe('alert=%Alert% context=%RecordContext%');
    expect(s.output.eventFormat).toBe(
      'category=%Category% detected=%MatchedIndicator% url=%RE_URL% src=%SRC_IP% ip=%RE_IP% hash=%RE_MD5% context=%RecordContext%',
    );
    expect(s.output.finishedEventEnabled).toBe(false);
    expect(s.output.recordFieldContextFormat).toBe(' %ParamName%=%ParamValue%');
    expect(fileText(bundle, 'cybertrace/kl_feed_service.fragment.xml')).toMatch(/<FinishedEventFormat enabled="false"/);
  });

  it('installs each file where the Kaspersky CyberTrace–AlienVault integration guide puts it, with restarts and timeouts', () => {
    const install = (p: string) => bundle.files.find((f) => f.path === p)?.install;
    expect(install('alienvault/kaspersky_cyberTrace.cfg')).toMatchObject({
      role: 'alienvault',
      path: '/etc/ossim/agent/plugins/kaspersky_cyberTrace.cfg',
      notify: ['ossim-agent-restart'],
    });
    expect(install('alienvault/kaspersky_cyberTrace.sql')).toMatchObject({
      role: 'alienvault',
      path: '/usr/share/doc/ossim-mysql/contrib/plugins/kaspersky_cyberTrace.sql',
      notify: ['ossim-db-import', 'ossim-server-restart'],
    });
    const steps = bundle.steps.filter((s) => s.role === 'alienvault');
    expect(steps.map((s) => s.id)).toEqual(['rsyslog-restart', 'ossim-db-import', 'ossim-agent-restart', 'ossim-server-restart']);
    expect(steps.find((s) => s.id === 'ossim-db-import')).toMatchObject({ command: 'ossim-db', stdinFromFile: 'alienvault/kaspersky_cyberTrace.sql' });
    for (const s of steps) expect(s.timeoutSec).toBeGreaterThan(0);
    // Every notified step exists.
    const ids = new Set(bundle.steps.map((s) => s.id));
    for (const f of bundle.files) for (const n of f.install?.notify ?? []) expect(ids.has(n), n).toBe(true);
  });

  it('writes one forwarding rule whatever the number of devices, with the optional interface and copy', async () => {
    const devices = Array.from({ length: 50 }, (_, i) => `      - ip: 10.1.${i >> 8}.${(i & 255) + 1}`).join('\n');
    const site = siteFromYaml(`cybertrace:
  address: 192.0.2.10
siems:
  alienvault:
    address: 192.0.2.20
    interface: eth1
    forward_copy_file: /var/log/ct-forwarded.log
    devices:
${devices}
`);
    const fwd = fileText(await bundleFor('alienvault', site), 'alienvault/rsyslog-forward.conf');
    expect(fwd.match(/^if /gm)).toHaveLength(1);
    expect(fwd.match(/"10\.1\.\d+\.\d+"/g)).toHaveLength(50);
    expect(fwd).toContain('Device="eth1"');
    expect(fwd).toContain('action(type="omfile" name="kaspersky_cybertrace_forward_copy" File="/var/log/ct-forwarded.log")');
    expect(fileText(await bundleFor('alienvault'), 'alienvault/rsyslog-forward.conf')).not.toContain('Device=');
  });
});

describe("the plugin's entry in the agent's config.cfg (read as UTF-8)", () => {
  const file = bundle.files.find((f) => f.path === 'alienvault/agent-config-plugins.cfg')!;
  const cfg = fileText(bundle, 'alienvault/kaspersky_cyberTrace.cfg');
  /** A log line whose context would be cut twice and garbled when read as latin1. */
  const line = 'Jun 27 08:50:19 192.0.2.10 category=KL_IP_Reputation detected=192.0.2.0 url=- src=- ip=192.0.2.0 hash=- context= owner=Ålesund Å-hus';
  const readsUtf8 = (agentConfig: string) => {
    const r = runAgent(cfg, [line], { agentConfig });
    expect(r.code, r.stderr).toBe(0);
    return r.results.length === 1 && r.results[0].attributes?.userdata3 === 'owner=Ålesund Å-hus';
  };
  const merge = (old: string) => applyMerge(file.install!.merge!, old, file.content as string);

  it('is merged at the end of config.cfg as a marked block, restarting the agent', () => {
    expect(file.install).toMatchObject({
      role: 'alienvault',
      path: '/etc/ossim/agent/config.cfg',
      merge: { kind: 'marked-block', commentPrefix: '#' },
      notify: ['ossim-agent-restart'],
    });
    expect(file.install!.merge).not.toHaveProperty('after');
    expect(file.content).toContain('\n[plugins]\nkaspersky_cyberTrace=/etc/ossim/agent/plugins/kaspersky_cyberTrace.cfg|utf-8\n');
    const merged = merge(SENSOR_CONFIG_UI_ONLY);
    expect(merged.startsWith(SENSOR_CONFIG_UI_ONLY)).toBe(true);
    expect(merge(merged)).toBe(merged);
  });

  it('wins over the entry the web interface wrote, wherever [plugins] is; without it the log is read as latin1', () => {
    expect(readsUtf8(SENSOR_CONFIG_UI_ONLY)).toBe(false);
    expect(readsUtf8(merge(SENSOR_CONFIG_UI_ONLY))).toBe(true);
    // [plugins] last in the file, and a config.cfg without [plugins] at all.
    const pluginsLast = SENSOR_CONFIG_UI_ONLY.replace(/\[watchdog\]\nenable = True\ninterval = 180\n/, '');
    expect(readsUtf8(merge(pluginsLast))).toBe(true);
    expect(readsUtf8(merge('[daemon]\ndaemon = True\n'))).toBe(true);
  });

  it("keeps working after alienvault-reconfig's rewrite (one [plugins], comments gone) and the next deploy", () => {
    // Config::Tiny as alienvault-reconfig uses it: sections merged, last value wins, comments dropped, keys sorted.
    const rewritten = [
      '[daemon]',
      'daemon=True',
      'pid=/var/run/ossim-agent.pid',
      '',
      '[plugin-defaults]',
      'date_format=%Y-%m-%d %H:%M:%S',
      'interface=any',
      'sensor=192.0.2.20',
      '',
      '[plugins]',
      'kaspersky_cyberTrace=/etc/ossim/agent/plugins/kaspersky_cyberTrace.cfg|utf-8',
      'ssh=/etc/ossim/agent/plugins/ssh.cfg',
      'sudo=/etc/ossim/agent/plugins/sudo.cfg',
      '',
      '[watchdog]',
      'enable=True',
      'interval=180',
      '',
    ].join('\n');
    expect(readsUtf8(rewritten)).toBe(true);
    const redeployed = merge(rewritten);
    expect(redeployed).not.toBe(rewritten);
    expect(readsUtf8(redeployed)).toBe(true);
  });
});

describe('CyberTrace input regexps on forwarded device lines (PCRE)', () => {
  const re = (name: string) => REGEXPS.find((r) => r.name === name)!;
  const extract = (name: string, text: string) => pcreExtract(re(name).pattern, text, re(name).extract);
  const site = siteFromYaml('cybertrace:\n  address: 192.0.2.10\nsiems:\n  alienvault:\n    address: 192.0.2.20\n    devices: [{ ip: 198.51.100.1 }]\n');

  it('all compile in PCRE2 UTF mode', () => {
    for (const r of REGEXPS) expect(pcreCompiles(r.pattern), r.name).toEqual({ ok: true, error: '' });
  });

  const cases: Array<[Indicator, string, string]> = [
    [{ type: 'url', value: 'http://fakess123.nu' }, 'RE_URL', 'fakess123.nu'],
    [{ type: 'url', value: 'test.phishing.example.com/psh/test?p=1&p=2' }, 'RE_URL', 'test.phishing.example.com/psh/test?p=1&p=2'],
    [{ type: 'ip', value: '192.0.2.0' }, 'RE_IP', '192.0.2.0'],
    [{ type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9' }, 'RE_MD5', 'C912705B4BBB14EC7E78FA8B370532C9'],
    [{ type: 'sha1', value: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8' }, 'RE_SHA1', '6AA0321FA9D82D652AB53882D7CF9E592B4439B8'],
    [{ type: 'sha256', value: 'a'.repeat(64) }, 'RE_SHA256', 'a'.repeat(64)],
  ];
  it.each(cases)('wire.forwardedEvent(%o) is found by %s', (indicator, name, want) => {
    const line = alienvault.wire.forwardedEvent(indicator, site);
    expect(extract(name, line)).toContain(want);
    expect(extract('SRC_IP', line)).toEqual(['10.20.30.40']);
  });

  it('work on raw lines of common devices', () => {
    const squid =
      '<134>Jun 27 08:50:19 proxy1 squid[812]: 1561625419.123 52 10.0.0.7 TCP_MISS/200 1534 GET http://fakess123.nu/index.html - HIER_DIRECT/192.0.2.0 text/html';
    expect(extract('RE_URL', squid)).toEqual(['fakess123.nu/index.html']);
    expect(extract('RE_IP', squid)).toEqual(['10.0.0.7', '192.0.2.0']);
    const fortigate = '<189>date=2019-06-27 time=08:50:19 devname="FGT" type="traffic" srcip=10.0.0.8 dstip=192.0.2.0 action="accept"';
    expect(extract('SRC_IP', fortigate)).toEqual(['10.0.0.8']);
    expect(extract('RE_IP', fortigate)).toEqual(['10.0.0.8', '192.0.2.0']);
    // Not an address: version strings and longer dotted numbers are left alone.
    expect(extract('RE_IP', 'app v1.2.3.4.5 build 10.20.30')).toEqual([]);
    expect(extract('RE_MD5', 'sha1=6AA0321FA9D82D652AB53882D7CF9E592B4439B8')).toEqual([]);
  });
});
