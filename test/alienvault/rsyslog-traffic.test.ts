/**
 * The inbound rsyslog block with real traffic, in a real rsyslogd whose rsyslog.conf is shaped
 * like OSSIM's (UDP and TCP inputs first, the bundle's blocks merged after them by `deploy`'s
 * merge): long events arrive whole over UDP and TCP, invalid UTF-8 is replaced byte by byte and
 * valid text stays byte-identical, so the agent reads every line. Each fix is also removed once
 * to show the failure it prevents.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { exampleSite } from '../helpers/bundles.js';
import { agentEvents, logLines, sendTcp, sendUdp, startAlienVaultRsyslog } from '../traffic/paths.js';
import { waitFor } from '../helpers/rsyslog.js';
import { getConnector } from '../../connectors/registry.js';
import { MAX_MESSAGE_SIZE } from '../../connectors/alienvault/rsyslog.js';
import { pluginCfg } from '../../connectors/alienvault/plugin-cfg.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { runAgent } from './agent.js';
import { EVENT_SIZES } from '../traffic/hostile-set.js';

const site = exampleSite();
const alienvault = getConnector('alienvault');
const settings = alienvault.cybertrace(site);

/** A detection event of `bytes` bytes (a long context value), as CyberTrace renders it. */
function eventOf(bytes: number, note = ''): Buffer {
  const render = (fill: string) =>
    renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { Category: 'KL_Malicious_URL', MatchedIndicator: 'fakess123.nu', RE_URL: 'fakess123.nu/a?b=1&c=2', SRC_IP: '10.20.30.40' },
      context: [
        ['first_seen', '10.07.2015 23:53'],
        ['note', note + fill],
      ],
    });
  const base = Buffer.byteLength(render(''));
  return Buffer.from(render('x'.repeat(Math.max(0, bytes - base))), 'utf8');
}

/** The message part of a log line: what follows rsyslog's date and host. */
const message = (line: Buffer) => line.subarray(line.indexOf('category='));

describe('rsyslogd with the inbound block: event size', () => {
  it(`keeps events of ${EVENT_SIZES.map((s) => s.name).join(', ')} whole over TCP and over UDP ($MaxMessageSize ${MAX_MESSAGE_SIZE} after the inputs)`, async () => {
    const rs = await startAlienVaultRsyslog(site);
    try {
      const events = EVENT_SIZES.map((s) => eventOf(s.bytes));
      await sendTcp(rs.tcp, events);
      await logLines(rs.logFile, events.length);
      await sendUdp(rs.udp, events);
      const lines = await logLines(rs.logFile, 2 * events.length);
      expect(lines).toHaveLength(2 * events.length);
      lines.forEach((l, i) =>
        expect(message(l).equals(events[i % events.length]), `line ${i + 1}: ${message(l).length} bytes of ${events[i % events.length].length}`).toBe(true),
      );
      const agent = agentEvents(rs.site, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      expect(agent.map((e) => ('error' in e ? e.error : e.context.find(([k]) => k === 'note')![1].length))).toEqual(
        [...events, ...events].map((e) => e.length - eventOf(0).length),
      );
    } finally {
      await rs.stop();
    }
  });

  it('without the $MaxMessageSize line an 8.1 KiB event is cut over UDP and split over TCP (the check can fail)', async () => {
    const rs = await startAlienVaultRsyslog(site, (conf) => {
      expect(conf).toContain(`$MaxMessageSize ${MAX_MESSAGE_SIZE}\n`);
      return conf.replace(`$MaxMessageSize ${MAX_MESSAGE_SIZE}\n`, '');
    });
    try {
      const event = eventOf(Math.round(8.1 * 1024));
      // TCP first (the UDP input is surely bound once TCP is read): split into two lines.
      await sendTcp(rs.tcp, [event]);
      const split = await logLines(rs.logFile, 2);
      expect(message(split[0]).length).toBeLessThan(event.length);
      await sendUdp(rs.udp, [event]);
      const lines = await logLines(rs.logFile, split.length + 1);
      expect(message(lines.at(-1)!).length).toBeLessThan(event.length);
      expect(message(lines.at(-1)!).equals(event.subarray(0, message(lines.at(-1)!).length))).toBe(true);
    } finally {
      await rs.stop();
    }
  });
});

describe('rsyslogd with the forwarding block: event size', () => {
  it('forwards a device event of 16 and 60 KiB whole to CyberTrace, received over UDP and over TCP', async () => {
    const received: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const listener = createServer((sock) =>
      sock.on('data', (d) => {
        pending = Buffer.concat([pending, d]);
        for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10)) {
          received.push(pending.subarray(0, nl));
          pending = pending.subarray(nl + 1);
        }
      }),
    );
    const port = await new Promise<number>((r) => listener.listen(0, '127.0.0.1', () => r((listener.address() as { port: number }).port)));
    const DEVICE = '127.0.0.2';
    const local = {
      ...site,
      cybertrace: { ...site.cybertrace, address: '127.0.0.1', input_port: port },
      siems: { ...site.siems, alienvault: { ...site.siems.alienvault, devices: [{ ip: DEVICE }] } },
    };
    const rs = await startAlienVaultRsyslog(local);
    try {
      const lines = [16 * 1024, 60 * 1024].map((n) => {
        const head = '<134>Jan  1 00:00:00 fw01 proxy: src=10.20.30.40 url=http://fakess123.nu/?q=';
        return Buffer.from(head + 'x'.repeat(n - head.length));
      });
      // TCP first: once it is read, the UDP input (loaded before it) is surely bound too.
      await sendTcp(rs.tcp, lines, DEVICE);
      await waitFor(() => received.length >= 2, 'two forwarded events', 400);
      await sendUdp(rs.udp, lines, DEVICE);
      await waitFor(() => received.length >= 4, 'four forwarded events', 400);
      // What CyberTrace gets: rsyslog's forward format, the device's message whole.
      expect(received.map((r) => r.length - r.indexOf('src='))).toEqual([...lines, ...lines].map((l) => l.length - l.indexOf('src=')));
    } finally {
      await rs.stop();
      await new Promise((r) => listener.close(r));
    }
  });
});

describe('rsyslogd with the inbound block: invalid UTF-8', () => {
  const bad = Buffer.concat([eventOf(0, 'caf'), Buffer.from([0xe9]), Buffer.from(' end')]);
  const truncated = Buffer.concat([eventOf(0, 'cut'), Buffer.from([0xf0, 0x9f, 0x98])]);
  const valid = eventOf(0, 'Société Москва 東京 😀 ünïcödé');

  it('replaces each invalid byte with "?", keeps valid non-ASCII byte-identical, and the agent reads every line', async () => {
    const rs = await startAlienVaultRsyslog(site);
    try {
      await sendTcp(rs.tcp, [bad, truncated, valid]);
      const lines = await logLines(rs.logFile, 3);
      expect(message(lines[0]).toString('utf8')).toBe(bad.toString('latin1').replace('\u00e9', '?'));
      expect(message(lines[1]).toString('utf8')).toBe(`${eventOf(0, 'cut').toString('utf8')}???`);
      expect(message(lines[2]).equals(valid)).toBe(true);
      const agent = agentEvents(rs.site, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      expect(agent.map((e) => ('error' in e ? e.error : e.context.find(([k]) => k === 'note')![1]))).toEqual([
        'caf? end',
        'cut???',
        'Société Москва 東京 😀 ünïcödé',
      ]);
    } finally {
      await rs.stop();
    }
  });

  it('without mmutf8fix the agent, reading UTF-8, stops at the invalid byte (the check can fail)', async () => {
    const rs = await startAlienVaultRsyslog(site, (conf) => conf.replace(/^\s*action\(type="mmutf8fix"[^\n]*\n/m, ''));
    try {
      await sendTcp(rs.tcp, [bad, valid]);
      const lines = await logLines(rs.logFile, 2);
      const agent = runAgent(pluginCfg(rs.site), Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
      expect(agent.code).not.toBe(0);
      expect(agent.stderr).toMatch(/can't decode byte 0xe9/);
    } finally {
      await rs.stop();
    }
  });
});
