/**
 * A stand-in for CyberTrace (`ctconnect cybertrace serve`, and the tests' server) speaking the CyberTrace input wire protocol (Kaspersky CyberTrace Help): TCP, UTF-8, events
 * separated by LF (CR ignored), an optional first-line mode header (X-KF-ReplyBack,
 * X-KF-SendFinishedEvent, both, optionally X-KF-SaveStatistic). Each event is read with the
 * given regexps (a real PCRE engine, as the service does), every extracted value is looked up
 * in the feed, and each hit is rendered with the event format (renderCyberTraceFormat). In
 * ReplyBack mode the detections go back on the same socket, followed by the finished event
 * when SendFinishedEvent was asked for.
 *
 * Whether the service reads the mode header as a message of its own or as the prefix of the
 * first event is not documented (Kaspersky CyberTrace Help and the vendor's public Splunk app), so both readings can be chosen (`headerMode`).
 *
 * Misbehaving modes for client tests: 'refuse' (nothing listens on the port), 'hang' (accepts,
 * reads, never answers), 'garbage' (answers every event with bytes that are no event),
 * 'close' (closes the connection after the first event).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { renderCyberTraceFormat } from './render-event.js';
import type { CyberTraceSettings, RegExpDef } from '../model/cybertrace.js';
import { pcreExtractAll } from './pcre.js';

export interface FeedEntry {
  category: string;
  context?: Array<[string, string]>;
}

export interface CyberTraceServerOptions {
  /** Input regexps: name → pattern (all looked up, extract="all"), or full definitions (type CONTEXT is not looked up). */
  regexps: Record<string, string> | RegExpDef[];
  /** Indicator as extracted by a regexp → feed record. Hash keys are compared case-insensitively. */
  feed: Record<string, FeedEntry>;
  eventFormat: string;
  recordFieldContextFormat: string;
  actionableFieldContextFormat?: string;
  /** Text of the finished event (FinishedEventFormat); default "LookupFinished". */
  finishedEvent?: (stats: { events: number; detections: Record<string, number> }) => string;
  /** Value of %Date% in rendered events. */
  date?: string;
  behaviour?: 'normal' | 'refuse' | 'hang' | 'garbage' | 'close';
  /**
   * How the mode header at the start of a connection is read. 'message' (default): the header is a
   * message of its own; text after it on the same line is the first event, a line holding only the
   * header is no event. 'prefix': the header is the prefix of the first event; the rest of that line
   * is processed as an event even when empty (and answered, finished event included).
   */
  headerMode?: 'message' | 'prefix';
  /** OutputSettings > ConnectionString: without ReplyBack, detections go here over TCP (from `localAddress` if given). */
  output?: { host: string; port: number; localAddress?: string };
  /** Where to listen; default 127.0.0.1 on a free port. */
  listen?: { host: string; port: number };
  /** Told of every event read and what came of it (the serve command logs it). */
  onEvent?: (e: { from: string; event: string; detections: string[]; replyBack: boolean }) => void;
}

/** The options that make the server answer as a CyberTrace configured with these settings (a bundle's). */
export function serverOptionsFor(
  settings: CyberTraceSettings,
): Pick<CyberTraceServerOptions, 'regexps' | 'eventFormat' | 'recordFieldContextFormat' | 'actionableFieldContextFormat' | 'finishedEvent'> {
  return {
    regexps: settings.input.regexps,
    eventFormat: settings.output.eventFormat,
    recordFieldContextFormat: settings.output.recordFieldContextFormat,
    actionableFieldContextFormat: settings.output.actionableFieldContextFormat,
    // Like a service configured with the bundle: a pinned FinishedEventFormat text is what it sends.
    ...(settings.output.finishedEventText !== undefined ? { finishedEvent: () => settings.output.finishedEventText! } : {}),
  };
}

export interface CyberTraceServer {
  host: string;
  port: number;
  /** Mode headers received, one per connection that sent one. */
  headers: string[];
  /** Events received (without the header), in order. */
  events: string[];
  /** Detection events produced (sent back only in ReplyBack mode). */
  detections: string[];
  close(): Promise<void>;
}

interface Rx {
  name: string;
  pattern: string;
  extract: 'all' | 'first';
  lookup: boolean;
}

function normalise(regexps: CyberTraceServerOptions['regexps']): Rx[] {
  if (Array.isArray(regexps)) return regexps.map((r) => ({ name: r.name, pattern: r.pattern, extract: r.extract, lookup: r.type !== 'CONTEXT' }));
  return Object.entries(regexps).map(([name, pattern]) => ({ name, pattern, extract: 'all' as const, lookup: true }));
}

const HEADER = /^(?:X-KF-(?:ReplyBack|SendFinishedEvent|SaveStatistic))+/;

/** The feed as the service looks indicators up in it (hashes case-insensitively); shared with the HTTP API server. */
export function feedLookup(entries: Record<string, FeedEntry>): (indicator: string) => FeedEntry | undefined {
  const isHash = (v: string) => /^[0-9a-f]{32,64}$/i.test(v);
  const feed = new Map<string, FeedEntry>();
  for (const [k, v] of Object.entries(entries)) feed.set(isHash(k) ? k.toLowerCase() : k, v);
  return (indicator) => feed.get(isHash(indicator) ? indicator.toLowerCase() : indicator);
}

export async function startCyberTraceServer(opts: CyberTraceServerOptions): Promise<CyberTraceServer> {
  const rxs = normalise(opts.regexps);
  const lookup = feedLookup(opts.feed);
  const settings = {
    output: { recordFieldContextFormat: opts.recordFieldContextFormat, actionableFieldContextFormat: opts.actionableFieldContextFormat ?? '' },
  } as CyberTraceSettings;
  const finished = opts.finishedEvent ?? (() => 'LookupFinished');
  const behaviour = opts.behaviour ?? 'normal';
  const state: CyberTraceServer = { host: '127.0.0.1', port: 0, headers: [], events: [], detections: [], close: async () => {} };

  type Detected = { lines: string[]; categories: string[] };

  /** What the service makes of each event: its detections, rendered, and their categories. */
  function detectAll(events: string[]): Detected[] {
    const values: Array<Record<string, string>> = events.map(() => ({}));
    const found: string[][] = events.map(() => []);
    pcreExtractAll(rxs, events).forEach((perEvent, k) => {
      const r = rxs[k];
      perEvent.forEach((got, i) => {
        if (got.length === 0) return;
        values[i][r.name] = got[0]!;
        if (r.lookup) found[i].push(...got);
      });
    });
    return events.map((_, i) => {
      const lines: string[] = [];
      const categories: string[] = [];
      for (const indicator of found[i]) {
        const hit = lookup(indicator);
        if (!hit) continue;
        categories.push(hit.category);
        lines.push(
          renderCyberTraceFormat(opts.eventFormat, settings, {
            values: { ...values[i], Date: opts.date ?? 'Jan  1 00:00:00', Category: hit.category, MatchedIndicator: indicator },
            context: hit.context ?? [],
          }),
        );
      }
      return { lines, categories };
    });
  }

  // Events that arrive together (on one connection or on several) are read together, in the order
  // they came, once the current input has been taken: one process for all of them (pcreExtractAll).
  const pending: Array<{ event: string; then: (d: Detected) => void }> = [];
  let stopped = false;
  function detectSoon(event: string, then: (d: Detected) => void): void {
    if (pending.push({ event, then }) === 1) {
      setImmediate(() => {
        const batch = pending.splice(0);
        if (stopped) return;
        detectAll(batch.map((b) => b.event)).forEach((d, i) => batch[i].then(d));
      });
    }
  }

  function serve(socket: Socket): void {
    const from = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setEncoding('utf8');
    let buffer = '';
    let first = true;
    let replyBack = false;
    let sendFinished = false;
    let events = 0;
    const totals: Record<string, number> = {};
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, nl).replace(/\r/g, '');
        buffer = buffer.slice(nl + 1);
        let emptyIsEvent = false;
        const header = first ? HEADER.exec(line) : null;
        first = false;
        if (header) {
          state.headers.push(header[0]);
          replyBack = header[0].includes('X-KF-ReplyBack');
          sendFinished = header[0].includes('X-KF-SendFinishedEvent');
          line = line.slice(header[0].length);
          emptyIsEvent = (opts.headerMode ?? 'message') === 'prefix';
        }
        if (line.trim() === '' && !emptyIsEvent) continue;
        state.events.push(line);
        if (behaviour === 'hang') continue;
        if (behaviour === 'close') {
          socket.destroy();
          return;
        }
        if (behaviour === 'garbage') {
          socket.write(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]));
          continue;
        }
        const reply = replyBack;
        const finishedToo = sendFinished;
        detectSoon(line, ({ lines, categories }) => {
          events++;
          for (const c of categories) totals[c] = (totals[c] ?? 0) + 1;
          state.detections.push(...lines);
          opts.onEvent?.({ from, event: line, detections: lines, replyBack: reply });
          if (reply) {
            if (socket.destroyed) return;
            for (const l of lines) socket.write(`${l}\n`);
            if (finishedToo) socket.write(`${finished({ events, detections: { ...totals } })}\n`);
          } else if (opts.output) {
            for (const l of lines) outputSocket().write(`${l}\n`);
          }
        });
      }
    });
  }

  // One persistent connection to the output address, as the service keeps to its SIEM.
  let output: Socket | undefined;
  function outputSocket(): Socket {
    if (!output || output.destroyed) {
      output = connect({ host: opts.output!.host, port: opts.output!.port, localAddress: opts.output!.localAddress });
      output.on('error', () => {});
      sockets.add(output);
    }
    return output;
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    serve(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen?.port ?? 0, opts.listen?.host ?? '127.0.0.1', () => resolve());
  });
  state.host = opts.listen?.host ?? '127.0.0.1';
  state.port = (server.address() as { port: number }).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      stopped = true;
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  if (behaviour === 'refuse') {
    // The port was free a moment ago and nothing listens on it now: connections are refused.
    await stop();
    state.close = async () => {};
  } else {
    state.close = stop;
  }
  return state;
}
