/**
 * Sends lines to a syslog receiver over TCP (LF-terminated, gathered into writes of about 256 KiB,
 * with write back-pressure) or UDP (one datagram per line), optionally paced to a rate. Returns
 * what was sent and how fast.
 */
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { UserError } from '../kernel/errors.js';

export interface SendOptions {
  host: string;
  port: number;
  protocol: 'tcp' | 'udp';
  count: number;
  /** Events per second; 0 = as fast as the receiver takes them. */
  rate: number;
  timeoutMs: number;
  events: EventSource;
  /** Time source for pacing (tests inject their own). */
  clock?: Clock;
  /** Set once the user asked to stop (Ctrl-C): no further event is sent; what was sent is reported. */
  interrupted?: () => boolean;
}

/** The events of a run, by number: event i is `line(i)`, which `fill` writes as UTF-8. */
export interface EventSource {
  /** Event i's text, without LF. */
  line(i: number): string;
  /** The most bytes `fill` writes for one event. */
  maxBytes: number;
  /**
   * Writes events cursor.next, cursor.next + 1, … (each as UTF-8 and an LF) into `out` from
   * cursor.at, while the event number is below `to` and cursor.at below `limit`, and moves the
   * cursor past them. `out` has room for `limit + maxBytes`. One call per buffer, not per event:
   * the sender's rate is bound by this loop.
   */
  fill(out: Buffer, cursor: FillCursor, to: number, limit: number): void;
}

/** Where filling stopped: the next event, and the end of the bytes written so far. */
export interface FillCursor {
  next: number;
  at: number;
}

export interface SendResult {
  sent: number;
  /** Present when the run was stopped before `count` events. */
  interrupted?: boolean;
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

/**
 * One TCP write gathers events up to about this many bytes. One write per event is what limited
 * the rate at first. Measured as bench/simulate.mjs does (with the events sent ahead), 64 KiB
 * writes reached 49% of the minimal sender's rate, 256 KiB 68%, and 1 MiB no more.
 */
const WRITE_SIZE = 256 * 1024;
/** How much may wait in the socket's queue before the sender waits for it to drain. */
const QUEUE_LIMIT = 4 * WRITE_SIZE;
/**
 * With no rate, this many bytes of events are made before connecting and sent in one write. The
 * encoding loop is several times slower until V8 has optimised it; warming it up while connected
 * kept the receiver at 43–47% of the minimal sender's rate, against about 64% this way
 * (bench/simulate.mjs). The rest is then encoded while the kernel still sends that first write.
 */
const AHEAD = 16 * 1024 * 1024;

/**
 * Hands out events [from, to) to `send` so that event i goes no earlier than i/rate seconds after
 * the start; every event that is due when the sender wakes up goes in the same batch, so a late
 * wake-up (a busy machine, a slow receiver) is caught up at once and the average rate stays exact.
 * With rate 0 every event is due at once.
 */
export async function pace(
  count: number,
  rate: number,
  clock: Clock,
  send: (from: number, to: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  const start = clock.now();
  let next = 0;
  while (next < count && !stop()) {
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

async function sendTcp(opts: SendOptions, clock: Clock): Promise<{ bytes: number; sent: number }> {
  const cursor: FillCursor = { next: 0, at: 0 };
  let ahead: Buffer | undefined;
  if (opts.rate === 0) {
    ahead = Buffer.allocUnsafe(Math.min(AHEAD, opts.count * opts.events.maxBytes) + opts.events.maxBytes);
    opts.events.fill(ahead, cursor, opts.count, AHEAD);
    ahead = ahead.subarray(0, cursor.at);
    cursor.at = 0;
  }
  const s = await openTcp(opts.host, opts.port, opts.timeoutMs);
  let failure: Error | undefined;
  s.on('error', (e) => (failure = e));
  let bytes = 0;
  let written = 0;
  const lost = () => new UserError(`${opts.host}:${opts.port}: connection lost after ${written} events: ${failure?.message ?? 'closed by the receiver'}`);
  // Events are encoded straight into a buffer and written about WRITE_SIZE bytes at a time. When
  // the socket took a write whole (nothing left queued), the buffer is free again at once;
  // otherwise the socket keeps it until the write is done, and the next events go into another
  // one. Buffers the socket is done with come back to `spare`, so a run makes a few buffers rather
  // than one per queued write.
  const size = WRITE_SIZE + opts.events.maxBytes;
  const spare: Buffer[] = [];
  let buf: Buffer = Buffer.allocUnsafe(size);
  // Back-pressure: with more than a few writes queued, wait until the receiver has taken them (or
  // the connection is gone). Waiting at every write would cost an event-loop turn per write.
  const afterWrite = async (events: number) => {
    if (s.writableLength > QUEUE_LIMIT) {
      await new Promise<void>((resolve) => {
        const done = () => {
          s.off('drain', done).off('close', done);
          resolve();
        };
        s.on('drain', done).on('close', done);
      });
    }
    if (failure || s.destroyed) throw lost();
    written = events;
  };
  const flush = async () => {
    if (cursor.at === 0) return;
    bytes += cursor.at;
    const taken = buf;
    let kept = true;
    s.write(buf.subarray(0, cursor.at), () => kept || spare.push(taken));
    cursor.at = 0;
    if (s.writableLength > 0) {
      kept = false;
      buf = spare.pop() ?? Buffer.allocUnsafe(size);
    }
    await afterWrite(cursor.next);
  };
  try {
    if (ahead && ahead.length > 0) {
      bytes += ahead.length;
      s.write(ahead);
      await afterWrite(cursor.next);
    }
    const stop = opts.interrupted ?? (() => false);
    await pace(
      opts.count,
      opts.rate,
      clock,
      async (from, to) => {
        // The events made ahead are on their way already.
        cursor.next = Math.max(cursor.next, from);
        while (cursor.next < to && !stop()) {
          opts.events.fill(buf, cursor, to, WRITE_SIZE);
          if (cursor.at >= WRITE_SIZE) await flush();
        }
        await flush();
      },
      stop,
    );
    // Interrupted or not, what was written is delivered before the connection closes.
    await new Promise<void>((resolve) => s.end(resolve));
    if (failure) throw lost();
  } catch (e) {
    s.destroy();
    throw e;
  }
  return { bytes, sent: written };
}

async function sendUdp(opts: SendOptions, clock: Clock): Promise<{ bytes: number; sent: number }> {
  const s = createSocket(opts.host.includes(':') ? 'udp6' : 'udp4');
  let bytes = 0;
  let sent = 0;
  const stop = opts.interrupted ?? (() => false);
  const scratch = Buffer.allocUnsafe(opts.events.maxBytes);
  try {
    await pace(
      opts.count,
      opts.rate,
      clock,
      async (from, to) => {
        for (let i = from; i < to && !stop(); i++) {
          // One datagram per event, without the LF.
          const one: FillCursor = { next: i, at: 0 };
          opts.events.fill(scratch, one, i + 1, 1);
          const data = scratch.subarray(0, one.at - 1);
          bytes += data.length;
          await new Promise<void>((resolve, reject) =>
            s.send(data, opts.port, opts.host, (e) => (e ? reject(new UserError(`${opts.host}:${opts.port}: ${e.message}`)) : resolve())),
          );
          sent = i + 1;
        }
      },
      stop,
    );
  } finally {
    s.close();
  }
  return { bytes, sent };
}

export async function sendLines(opts: SendOptions): Promise<SendResult> {
  const clock = opts.clock ?? realClock;
  const start = process.hrtime.bigint();
  const { bytes, sent } = opts.protocol === 'tcp' ? await sendTcp(opts, clock) : await sendUdp(opts, clock);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { sent, bytes, seconds, perSecond: sent / Math.max(seconds, 1e-9), ...(sent < opts.count ? { interrupted: true } : {}) };
}
