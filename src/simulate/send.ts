/**
 * Sends lines to a syslog receiver over TCP (LF-terminated, gathered into writes of about 64 KiB,
 * with write back-pressure) or UDP (one datagram per line), optionally paced to a rate. Returns
 * what was sent and how fast.
 */
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { UserError } from '../core/errors.js';

export interface SendOptions {
  host: string;
  port: number;
  protocol: 'tcp' | 'udp';
  count: number;
  /** Events per second; 0 = as fast as the receiver takes them. */
  rate: number;
  timeoutMs: number;
  /** Produces line i (no trailing LF). */
  line(i: number): string;
  /** Time source for pacing (tests inject their own). */
  clock?: Clock;
}

export interface SendResult {
  sent: number;
  bytes: number;
  seconds: number;
  perSecond: number;
}

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** One TCP write gathers lines up to about this many characters: one system call per line is what limits the rate. */
const WRITE_SIZE = 64 * 1024;

/**
 * Hands out events [from, to) to `send` so that event i goes no earlier than i/rate seconds after
 * the start; every event that is due when the sender wakes up goes in the same batch, so a late
 * wake-up (a busy machine, a slow receiver) is caught up at once and the average rate stays exact.
 * With rate 0 every event is due at once.
 */
export async function pace(count: number, rate: number, clock: Clock, send: (from: number, to: number) => Promise<void>): Promise<void> {
  const start = clock.now();
  let next = 0;
  while (next < count) {
    let due = count;
    if (rate > 0) {
      const elapsed = clock.now() - start;
      // The small tolerance keeps an exact wake-up at i/rate from being read as just before it.
      due = Math.min(count, Math.floor((elapsed * rate) / 1000 + 1e-9) + 1);
      if (due <= next) {
        await clock.sleep((next * 1000) / rate - elapsed);
        continue;
      }
    }
    await send(next, due);
    next = due;
  }
}

async function openTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new UserError(`${host}:${port}: no TCP connection within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new UserError(`${host}:${port}: ${e.code === 'ECONNREFUSED' ? 'connection refused (is the SIEM listening on this TCP port?)' : e.message}`));
    });
  });
}

async function sendTcp(opts: SendOptions, clock: Clock): Promise<number> {
  const s = await openTcp(opts.host, opts.port, opts.timeoutMs);
  let failure: Error | undefined;
  s.on('error', (e) => (failure = e));
  let bytes = 0;
  let written = 0;
  const lost = () => new UserError(`${opts.host}:${opts.port}: connection lost after ${written} events: ${failure?.message ?? 'closed by the receiver'}`);
  const write = async (data: string, events: number) => {
    bytes += Buffer.byteLength(data);
    if (!s.write(data)) {
      // Back-pressure: wait until the receiver has taken it, or the connection is gone.
      await new Promise<void>((resolve) => {
        const done = () => {
          s.off('drain', done).off('close', done);
          resolve();
        };
        s.on('drain', done).on('close', done);
      });
    }
    if (failure || s.destroyed) throw lost();
    written += events;
  };
  try {
    await pace(opts.count, opts.rate, clock, async (from, to) => {
      let chunk = '';
      let first = from;
      for (let i = from; i < to; i++) {
        chunk += `${opts.line(i)}\n`;
        if (chunk.length >= WRITE_SIZE) {
          await write(chunk, i + 1 - first);
          chunk = '';
          first = i + 1;
        }
      }
      if (chunk !== '') await write(chunk, to - first);
    });
    await new Promise<void>((resolve) => s.end(resolve));
  } catch (e) {
    s.destroy();
    throw e;
  }
  return bytes;
}

async function sendUdp(opts: SendOptions, clock: Clock): Promise<number> {
  const s = createSocket(opts.host.includes(':') ? 'udp6' : 'udp4');
  let bytes = 0;
  try {
    await pace(opts.count, opts.rate, clock, async (from, to) => {
      for (let i = from; i < to; i++) {
        const data = Buffer.from(opts.line(i));
        bytes += data.length;
        await new Promise<void>((resolve, reject) => s.send(data, opts.port, opts.host, (e) => (e ? reject(new UserError(`${opts.host}:${opts.port}: ${e.message}`)) : resolve())));
      }
    });
  } finally {
    s.close();
  }
  return bytes;
}

export async function sendLines(opts: SendOptions): Promise<SendResult> {
  const clock = opts.clock ?? realClock;
  const start = process.hrtime.bigint();
  const bytes = opts.protocol === 'tcp' ? await sendTcp(opts, clock) : await sendUdp(opts, clock);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { sent: opts.count, bytes, seconds, perSecond: opts.count / Math.max(seconds, 1e-9) };
}
