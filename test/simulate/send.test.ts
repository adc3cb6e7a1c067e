/**
 * The TCP sender of `simulate` (src/simulate/send.ts) against a receiver that reads slowly: the
 * events made before connecting, those written while connected, writes queued behind a full
 * socket and buffers used again once the socket is done with them all arrive whole and in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { allConnectors } from '../../connectors/registry.js';
import { exampleSite } from '../helpers/bundles.js';
import { sampleEvents } from '../../src/simulate/events.js';
import { sendLines } from '../../src/simulate/send.js';

const site = exampleSite();
let receiver: ChildProcess | undefined;
afterEach(() => {
  receiver?.kill();
  receiver = undefined;
});

/**
 * A receiver in a process of its own, with a small receive buffer, that stops reading for a
 * moment after every few reads: the sender's socket fills, so its writes queue and wait.
 * Resolves with the bytes it got and their SHA-256.
 */
const SLOW_RECEIVER = `
import hashlib, socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
srv.bind(('127.0.0.1', 0))
srv.listen(1)
srv.settimeout(60)  # gone by itself even if the test run is killed before it connects
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.settimeout(60)
h, n, reads = hashlib.sha256(), 0, 0
while True:
    d = conn.recv(65536)
    if not d:
        break
    h.update(d)
    n += len(d)
    reads += 1
    if reads % 8 == 0:
        time.sleep(0.0005)
print(n, h.hexdigest(), flush=True)
`;

async function slowReceiver(): Promise<{ port: number; received: Promise<{ bytes: number; sha256: string }> }> {
  const child = spawn('python3', ['-c', SLOW_RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  receiver = child;
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  const received = lines.next().then(({ value }) => {
    const [bytes, sha256] = String(value).split(' ');
    return { bytes: Number(bytes), sha256 };
  });
  return { port, received };
}

describe('simulate: the TCP sender', () => {
  it.each([0, 200_000])('a slow receiver gets every event whole and in order (--rate %i)', async (rate) => {
    const c = allConnectors().find((x) => x.id === 'fortisiem')!;
    const events = sampleEvents(c.cybertrace(site), site, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    // About 37 MB: more than is made before connecting, and many times the socket's buffers.
    const count = 120_000;
    const expected = createHash('sha256');
    let expectedBytes = 0;
    for (let i = 0; i < count; i++) {
      const line = Buffer.from(`${events.line(i)}\n`);
      expected.update(line);
      expectedBytes += line.length;
    }
    const rx = await slowReceiver();
    const result = await sendLines({ host: '127.0.0.1', port: rx.port, protocol: 'tcp', count, rate, timeoutMs: 10_000, events });
    const got = await rx.received;
    expect(result.bytes).toBe(expectedBytes);
    expect(got.bytes).toBe(expectedBytes);
    expect(got.sha256).toBe(expected.digest('hex'));
  });
});
