/**
 * Ctrl-C (SIGINT) in `simulate` and `verify`, run as a user runs them against receivers on 127.0.0.1:
 * what was sent or checked so far is printed, then the exit status is 130.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { CLI } from '../helpers/cli.js';
import { VERIFICATION_INDICATORS } from '../../src/cybertrace/indicators.js';

let server: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function listen(onConnection: (s: Socket) => void): Promise<number> {
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  return new Promise((r) => server!.listen(0, '127.0.0.1', () => r((server!.address() as { port: number }).port)));
}

/** Runs the CLI and sends SIGINT once `ready()` says so (polled). */
function interrupted(args: string[], ready: (stderr: string) => boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CTCONNECT_CONFIG: undefined } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      if (ready(stderr)) {
        clearInterval(poll);
        p.kill('SIGINT');
      }
    }, 20);
    p.on('error', reject);
    p.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('Ctrl-C', () => {
  it('simulate: stops sending, prints how many events went out (all of them delivered), exit 130', async () => {
    let received = '';
    const port = await listen((s) => s.on('data', (d) => (received += d.toString('utf8'))));
    const lines = () => received.split('\n').length - 1;
    const r = await interrupted(['simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--count', '100000', '--rate', '100'], () => lines() >= 20);
    expect(r.code).toBe(130);
    const m = /^interrupted: sent (\d+) of 100000 events \(\d+ bytes\) to 127\.0\.0\.1:\d+\/tcp/m.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const sent = Number(m![1]);
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(sent).toBeLessThan(100000);
    await new Promise<void>((res) => (sockets.size === 0 ? res() : [...sockets][0].once('close', () => res())));
    expect(lines()).toBe(sent);
  });

  it('verify: prints the indicators checked so far and those not checked, exit 130', async () => {
    const first = VERIFICATION_INDICATORS[0].value;
    let seen = 0;
    // A CyberTrace that ends the first lookup without an answer and never answers the others.
    const port = await listen((s) => {
      s.on('data', (d) => {
        seen++;
        if (d.toString('utf8').includes(first)) s.end();
      });
    });
    const r = await interrupted(['verify', 'fortisiem', '--to', `127.0.0.1:${port}`, '--timeout', '120'], () => seen >= VERIFICATION_INDICATORS.length);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopping; the indicators checked so far follow/);
    expect(r.stdout).toContain(first);
    expect(r.stdout).toMatch(
      new RegExp(
        `interrupted: 1 of ${VERIFICATION_INDICATORS.length} indicators checked \\(0 OK\\); not checked: ${VERIFICATION_INDICATORS[1].value.replace(/[.?/]/g, '\\$&')}, `,
      ),
    );
  });
});
