/**
 * `ctconnect simulate`: events in each connector's output format reach a receiver over TCP or UDP,
 * and the connector's own SIEM-side parser reads every one of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allConnectors, getConnector } from '../../connectors/registry.js';
import { exampleSite } from '../helpers/bundles.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { runCli } from '../helpers/cli.js';

const site = exampleSite();
let tcp: Server | undefined;
let udp: UdpSocket | undefined;
afterEach(async () => {
  await new Promise((r) => (tcp ? tcp.close(r) : r(undefined)));
  udp?.close();
  tcp = undefined;
  udp = undefined;
});

/** A TCP receiver collecting LF-terminated lines. */
async function tcpReceiver(): Promise<{ port: number; lines: string[]; closed: Promise<void> }> {
  const lines: string[] = [];
  let done!: () => void;
  const closed = new Promise<void>((r) => (done = r));
  tcp = createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    s.on('end', done);
  });
  const port = await new Promise<number>((r) => tcp!.listen(0, '127.0.0.1', () => r((tcp!.address() as { port: number }).port)));
  return { port, lines, closed };
}

describe('ctconnect simulate', () => {
  it.each(allConnectors().map((c) => c.id))('%s: events over TCP that the SIEM side parses', async (id) => {
    const c = getConnector(id);
    const rx = await tcpReceiver();
    const r = await runCliAsync(['simulate', id, '--to', `127.0.0.1:${rx.port}`, '--count', '25', '--rate', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^sent 25 events \\(\\d+ bytes\\) to 127\\.0\\.0\\.1:${rx.port}/tcp`));
    await rx.closed;
    expect(rx.lines).toHaveLength(25);
    const categories = new Set([...site.categories.kaspersky, ...site.categories.custom.map((x) => x.name)]);
    const parsed = rx.lines.map((l) => c.wire.parseEvent(c.wire.asReceived ? c.wire.asReceived(l, site) : l, site));
    const alerts = parsed.filter((p) => p.kind === 'alert');
    const detections = parsed.filter((p) => p.kind === 'detection');
    expect(alerts.length).toBeGreaterThan(0);
    expect(detections.length).toBeGreaterThan(0);
    for (const d of detections) {
      expect(categories.has(d.fields.category!)).toBe(true);
      expect(d.fields.indicator).toBeTruthy();
      expect(d.context.length).toBeGreaterThan(0);
    }
    for (const a of alerts) expect(a.fields.alert).toMatch(/^KL_ALERT_/);
  });

  it('sends UDP datagrams, one event each', async () => {
    const got: string[] = [];
    udp = createSocket('udp4');
    udp.on('message', (m) => got.push(m.toString('utf8')));
    const port = await new Promise<number>((r) => udp!.bind(0, '127.0.0.1', () => r(udp!.address().port)));
    const r = await runCliAsync(['simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--udp', '--count', '5', '--rate', '0']);
    expect(r.code, r.stderr).toBe(0);
    for (let i = 0; i < 50 && got.length < 5; i++) await new Promise((res) => setTimeout(res, 20));
    expect(got).toHaveLength(5);
    expect(got.every((l) => l.startsWith('CEF:0|Kaspersky|CyberTrace|'))).toBe(true);
  });

  it('sends the lines of a file of your own, in order and cycling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctc-sim-'));
    const file = join(dir, 'events.txt');
    writeFileSync(file, '# my events\nfirst event\n\nsecond event\n');
    const rx = await tcpReceiver();
    const r = await runCliAsync(['simulate', 'alienvault', '--to', `127.0.0.1:${rx.port}`, '--file', file, '--count', '3', '--rate', '0']);
    expect(r.code, r.stderr).toBe(0);
    await rx.closed;
    expect(rx.lines).toEqual(['first event', 'second event', 'first event']);
  });

  it('prints instead of sending with --print', () => {
    const r = runCli(['simulate', 'kuma', '--print', '--count', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('says clearly when nothing listens, and checks its arguments', () => {
    const refused = runCli(['simulate', 'fortisiem', '--to', '127.0.0.1:1', '--count', '1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('127.0.0.1:1: connection refused');
    expect(runCli(['simulate', 'fortisiem', '--to', 'nohost', '--print']).stderr).toContain('--to: must be HOST:PORT');
    expect(runCli(['simulate', 'fortisiem', '--count', '0', '--print']).stderr).toContain('--count: must be a whole number ≥ 1');
    expect(runCli(['simulate', 'fortisiem', '--file', 'missing.txt', '--print']).stderr).toContain('--file missing.txt: cannot read (ENOENT)');
  });
});

describe('ctconnect simulate: what goes on the wire', () => {
  it('without --rate, --count alone sends as fast as possible; the bytes are those --print shows', async () => {
    // 70,000 events (22 MB): more than is made before connecting, then many writes that fill the
    // socket buffers, so the sender also waits for the receiver; at the old default of 10/s this
    // would take two hours.
    const rx = await tcpReceiver();
    const r = await runCliAsync(['simulate', 'fortisiem', '--to', `127.0.0.1:${rx.port}`, '--count', '70000']);
    expect(r.code, r.stderr).toBe(0);
    await rx.closed;
    // FortiSIEM's events carry no date, so two runs give the same text.
    const printed = await runCliAsync(['simulate', 'fortisiem', '--print', '--count', '70000']);
    expect(rx.lines).toEqual(printed.stdout.split('\n').slice(0, -1));
    expect(Number(/\((\d+) bytes\)/.exec(r.stdout)![1])).toBe(Buffer.byteLength(printed.stdout));
  });

  it('a receiver that drops the connection ends the run with a clear error, not a hang', async () => {
    tcp = createServer((s) => s.once('data', () => s.destroy()));
    const port = await new Promise<number>((r) => tcp!.listen(0, '127.0.0.1', () => r((tcp!.address() as { port: number }).port)));
    const r = await runCliAsync(['simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--count', '500000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: connection lost after \\d+ events`));
  });
});
