/**
 * Sends lines to a syslog receiver over TCP (LF-terminated, with write back-pressure) or UDP
 * (one datagram per line), optionally paced to a rate. Returns what was sent and how fast.
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
}

export interface SendResult {
  sent: number;
  bytes: number;
  seconds: number;
  perSecond: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

export async function sendLines(opts: SendOptions): Promise<SendResult> {
  const start = process.hrtime.bigint();
  let bytes = 0;
  const pace = async (i: number) => {
    if (opts.rate <= 0) return;
    const due = (i / opts.rate) * 1000;
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (due > elapsed) await sleep(due - elapsed);
  };
  if (opts.protocol === 'tcp') {
    const s = await openTcp(opts.host, opts.port, opts.timeoutMs);
    let failure: Error | undefined;
    s.on('error', (e) => (failure = e));
    for (let i = 0; i < opts.count; i++) {
      await pace(i);
      const data = `${opts.line(i)}\n`;
      bytes += Buffer.byteLength(data);
      if (!s.write(data)) await new Promise((r) => s.once('drain', r));
      if (failure) throw new UserError(`${opts.host}:${opts.port}: connection lost after ${i} events: ${failure.message}`);
    }
    await new Promise<void>((resolve) => s.end(resolve));
  } else {
    const s = createSocket(opts.host.includes(':') ? 'udp6' : 'udp4');
    try {
      for (let i = 0; i < opts.count; i++) {
        await pace(i);
        const data = Buffer.from(opts.line(i));
        bytes += data.length;
        await new Promise<void>((resolve, reject) => s.send(data, opts.port, opts.host, (e) => (e ? reject(new UserError(`${opts.host}:${opts.port}: ${e.message}`)) : resolve())));
      }
    } finally {
      s.close();
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { sent: opts.count, bytes, seconds, perSecond: opts.count / Math.max(seconds, 1e-9) };
}
