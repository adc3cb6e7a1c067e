/**
 * A client of the CyberTrace input port (Kaspersky CyberTrace Help): TCP, UTF-8, LF-separated events. Each lookup
 * has a connection of its own, opened with the `X-KF-SendFinishedEventX-KF-ReplyBack` mode header,
 * so its detections come back on that socket followed by the finished event. The header goes
 * directly in front of the event, with no line feed, as the vendor's own client sends it: whether
 * CyberTrace reads a header line on its own or as the prefix of the first event is not documented,
 * and this form is right under both readings.
 *
 * Why one connection per lookup rather than several events pipelined on one: the finished event
 * names no event (only the high-availability `%REQ%` form does), so on a shared connection replies
 * could only be matched to events by their order — and one missing finished event, or a service
 * that answers events out of order, would hand every later detection to the wrong indicator. A
 * connection of its own makes each reply belong to its event by construction, and lookups on
 * separate connections run at the same time.
 */
import { DEFAULT_FINISHED_EVENT_TEXT } from '../cybertrace/fragment.js';
import { Socket, connect } from 'node:net';
import { UserError } from '../kernel/errors.js';
import { REPLY_BACK_HEADER } from '../cybertrace/protocol.js';

/** Default text of FinishedEventFormat; the finished event starts with it. */
export const FINISHED_MARKER = DEFAULT_FINISHED_EVENT_TEXT;

export interface LookupOptions {
  host: string;
  port: number;
  /** Time (Date.now() scale) by which the lookup must be finished, connecting included. */
  deadline: number;
  /** How long the whole lookup was given, for messages. */
  timeoutMs: number;
  finishedMarker?: string;
}

export interface LookupResult {
  replies: string[];
  finished: boolean;
}

/**
 * Looks up one event: connects, sends the header and the event, and returns every line received
 * until the finished event (excluded). Without a finished event by the deadline (or before the
 * service closes), `finished` is false. Connection failures are thrown as UserError.
 */
export async function lookupEvent(event: string, opts: LookupOptions): Promise<LookupResult> {
  if (event.includes('\n')) throw new UserError('an event sent to CyberTrace must be a single line');
  const socket = await openSocket(opts);
  try {
    return await exchange(socket, event, opts);
  } finally {
    socket.destroy();
  }
}

function exchange(s: Socket, event: string, opts: LookupOptions): Promise<LookupResult> {
  const marker = opts.finishedMarker ?? FINISHED_MARKER;
  const replies: string[] = [];
  let buffer = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ replies, finished: false }), Math.max(0, opts.deadline - Date.now()));
    const settle = (f: () => void) => {
      clearTimeout(timer);
      s.removeAllListeners('data');
      f();
    };
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i).replace(/\r$/, '');
        buffer = buffer.slice(i + 1);
        if (line.startsWith(marker)) return settle(() => resolve({ replies, finished: true }));
        if (line.trim() !== '') replies.push(line);
      }
    });
    s.on('close', () => settle(() => resolve({ replies, finished: false })));
    s.on('error', (e) => settle(() => reject(new UserError(`CyberTrace connection failed: ${e.message}`))));
    s.write(`${REPLY_BACK_HEADER}${event}\n`);
  });
}

function openSocket(opts: LookupOptions): Promise<Socket> {
  const where = `${opts.host}:${opts.port}`;
  return new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: opts.host, port: opts.port });
    const timer = setTimeout(
      () => {
        s.destroy();
        reject(
          new UserError(`CyberTrace at ${where}: no connection within ${opts.timeoutMs / 1000}s (is the service running, is the port open in the firewall?)`),
        );
      },
      Math.max(0, opts.deadline - Date.now()),
    );
    s.once('connect', () => {
      clearTimeout(timer);
      // Each lookup is one small write waiting for its answer: no Nagle delay.
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        e.code === 'ECONNREFUSED'
          ? 'connection refused (nothing listens there: check InputSettings > ConnectionString and that the service runs)'
          : e.code === 'ENOTFOUND'
            ? 'host name not found'
            : e.message;
      reject(new UserError(`CyberTrace at ${where}: ${why}`));
    });
  });
}
