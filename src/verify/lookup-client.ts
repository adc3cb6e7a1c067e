/**
 * A client of the CyberTrace input port (FACTS §1): TCP, UTF-8, LF-separated events. It opens
 * the connection with the `X-KF-SendFinishedEventX-KF-ReplyBack` mode header, so detections come
 * back on the same socket followed by the finished event, and sends one event at a time. The header
 * goes directly in front of the first event, with no line feed, as the vendor's own client sends
 * it: whether CyberTrace reads a header line on its own or as the prefix of the first event is not
 * documented, and this form is right under both readings.
 */
import { Socket, connect } from 'node:net';
import { UserError } from '../core/errors.js';

export const REPLY_BACK_HEADER = 'X-KF-SendFinishedEventX-KF-ReplyBack';
/** Default text of FinishedEventFormat; the finished event starts with it. */
export const FINISHED_MARKER = 'LookupFinished';

export interface LookupClientOptions {
  host: string;
  port: number;
  timeoutMs: number;
  finishedMarker?: string;
}

export class LookupClient {
  private buffer = '';
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;
  private headerSent = false;

  private constructor(
    private readonly socket: Socket,
    private readonly opts: LookupClientOptions,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, i).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(i + 1);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.failure = e;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  static async open(opts: LookupClientOptions): Promise<LookupClient> {
    const where = `${opts.host}:${opts.port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: opts.host, port: opts.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new UserError(`CyberTrace at ${where}: no connection within ${opts.timeoutMs / 1000}s (is the service running, is the port open in the firewall?)`));
      }, opts.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why = e.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there: check InputSettings > ConnectionString and that the service runs)' : e.code === 'ENOTFOUND' ? 'host name not found' : e.message;
        reject(new UserError(`CyberTrace at ${where}: ${why}`));
      });
    });
    // Each lookup is one small write waiting for its answer: no Nagle delay.
    socket.setNoDelay(true);
    return new LookupClient(socket, opts);
  }

  /** Sends one event and returns every line received until the finished event (excluded). */
  async lookup(event: string): Promise<{ replies: string[]; finished: boolean }> {
    if (event.includes('\n')) throw new UserError('an event sent to CyberTrace must be a single line');
    this.socket.write(`${this.headerSent ? '' : REPLY_BACK_HEADER}${event}\n`);
    this.headerSent = true;
    const marker = this.opts.finishedMarker ?? FINISHED_MARKER;
    const replies: string[] = [];
    const deadline = Date.now() + this.opts.timeoutMs;
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift()!;
        if (line.startsWith(marker)) return { replies, finished: true };
        if (line.trim() !== '') replies.push(line);
      }
      if (this.failure) throw new UserError(`CyberTrace connection failed: ${this.failure.message}`);
      if (this.closed) return { replies, finished: false };
      const left = deadline - Date.now();
      if (left <= 0) return { replies, finished: false };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
