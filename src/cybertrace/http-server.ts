/**
 * A stand-in for CyberTrace's HTTP lookup API (`ctconnect cybertrace serve --http`, and the tests' server) speaking it in its documented shapes (Kaspersky CyberTrace Help, the
 * CyberTrace help "POST lookup" and "Response statuses"): `POST /api/<1.0|1.1|1.2>/lookup` and
 * `POST /api/1.3/<tenant>/lookup`, Basic authentication (401 without a valid Authorization
 * header), body `[{"object":"…"}]`, answer `[{object, result, categories:[{category,
 * detected_indicator, context}]}]`; another method on the lookup path gets 405, another path 404.
 * Indicators are looked up with the feed logic of the TCP test server (feedLookup).
 *
 * The value of `result` is not documented beyond its name; this server says "detected" or
 * "not detected", and the client under test must not depend on it.
 *
 * Misbehaving modes for client tests: 'refuse' (nothing listens), 'hang' (reads the request,
 * never answers), 'html' (answers 200 with an HTML page, as a proxy or another web server would).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../kernel/errors.js';
import { feedLookup, type FeedEntry } from './server.js';

export interface CyberTraceHttpServerOptions {
  feed: Record<string, FeedEntry>;
  /** Accounts; absent = no authentication asked (a lookup without Authorization is answered). */
  users?: Record<string, string>;
  /** PEM key and certificate: HTTPS; absent = plain HTTP. */
  tls?: { key: string; cert: string };
  behaviour?: 'normal' | 'refuse' | 'hang' | 'html';
  /**
   * Tenants answered on `/api/1.3/<tenant>/lookup` (absent = any). `multitenancy: false` answers
   * that route with 404, as a CyberTrace 5.x without a multitenancy licence (help 5.1, page 198593).
   */
  tenants?: string[];
  multitenancy?: boolean;
  /** Where to listen; default 127.0.0.1 on a free port. */
  listen?: { host: string; port: number };
  /** Told of every request and the status it got (the serve command logs it). */
  onRequest?: (r: { from: string; method: string; path: string; user?: string; status: number; objects: string[]; detected: string[] }) => void;
}

export interface CyberTraceHttpServer {
  url: string;
  port: number;
  /** Every request received: method, path, the Authorization header (undefined when absent) and the parsed body. */
  requests: Array<{ method: string; path: string; authorization?: string; body: unknown }>;
  close(): Promise<void>;
}

const LOOKUP_PATH = /^\/api\/(?:1\.[012]|1\.3\/[^/]+)\/lookup$/;

export async function startCyberTraceHttpServer(opts: CyberTraceHttpServerOptions): Promise<CyberTraceHttpServer> {
  const lookup = feedLookup(opts.feed);
  const behaviour = opts.behaviour ?? 'normal';
  const requests: CyberTraceHttpServer['requests'] = [];

  function basicUser(header: string | undefined): string | undefined {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    return m ? Buffer.from(m[1], 'base64').toString('utf8').split(':')[0] : undefined;
  }

  function authorised(header: string | undefined): boolean {
    if (!opts.users) return true;
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon > 0 && opts.users[decoded.slice(0, colon)] === decoded.slice(colon + 1);
  }

  function send(res: ServerResponse, status: number, body: unknown, asked?: unknown): void {
    const req = res.req;
    if (opts.onRequest) {
      const objects = Array.isArray(asked) ? (asked as Array<{ object?: unknown }>).map((o) => String(o?.object)) : [];
      const detected =
        status === 200 && Array.isArray(body)
          ? (body as Array<{ object: string; categories: unknown[] }>).filter((a) => a.categories.length > 0).map((a) => a.object)
          : [];
      opts.onRequest({
        from: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0],
        user: basicUser(req.headers.authorization),
        status,
        objects,
        detected,
      });
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/html' : 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const path = (req.url ?? '').split('?')[0];
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    if (behaviour === 'hang') return;
    if (behaviour === 'html') return send(res, 200, '<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>');
    if (!LOOKUP_PATH.test(path)) return send(res, 404, { error: 'Request not supported' }, body);
    const tenant = /^\/api\/1\.3\/([^/]+)\/lookup$/.exec(path)?.[1];
    if (tenant !== undefined && (opts.multitenancy === false || (opts.tenants && !opts.tenants.includes(decodeURIComponent(tenant))))) {
      return send(res, 404, { error: 'Request not supported' }, body);
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'Method Not Allowed' }, body);
    if (!authorised(req.headers.authorization)) return send(res, 401, { error: 'Unauthorized user' }, body);
    if (!Array.isArray(body) || body.length === 0 || !body.every((o) => typeof o?.object === 'string')) return send(res, 400, { error: 'Bad Request' }, body);
    send(
      res,
      200,
      body.map(({ object }: { object: string }) => {
        const hit = lookup(object);
        return {
          object,
          result: hit ? 'detected' : 'not detected',
          categories: hit ? [{ category: hit.category, detected_indicator: object, context: Object.fromEntries(hit.context ?? []) }] : [],
        };
      }),
      body,
    );
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => handle(req, res, raw));
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createHttpServer(onRequest);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A TLS client that refuses the certificate drops the connection; that is not a server fault.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen?.port ?? 0, opts.listen?.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const host = opts.listen?.host ?? '127.0.0.1';
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const state: CyberTraceHttpServer = {
    url: `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    close: stop,
  };
  if (behaviour === 'refuse') {
    // The port was free a moment ago and nothing listens on it now: connections are refused.
    await stop();
    state.close = async () => {};
  }
  return state;
}

/** A self-signed certificate for 127.0.0.1, ::1 and localhost, made with openssl in a folder removed at once. */
export function selfSignedCertificate(commonName: string, days = 7): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ctconnect-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const subject = ['-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost'];
    const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    execFileSync('openssl', ['req', '-x509', ...curve, '-keyout', key, '-out', cert, '-days', String(days), ...subject], { stdio: 'pipe' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } catch (e) {
    throw new UserError(`could not make a self-signed certificate with openssl (${(e as Error).message.split('\n')[0]})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `SHA256:AB:CD:…`, as `verify --fingerprint` takes it. */
export function certificateFingerprint(pem: string): string {
  const der = new X509Certificate(pem).raw;
  return `SHA256:${createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':')}`;
}
