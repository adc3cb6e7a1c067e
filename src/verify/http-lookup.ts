/**
 * A client of CyberTrace's HTTP lookup API (Kaspersky CyberTrace Help, "POST lookup", pages 198540, 296211):
 * `POST /api/<1.0|1.1|1.2>/lookup` (5.x also `/api/1.3/{Tenant}/lookup`), Basic authentication,
 * body `[{"object":"…"}]`, answer `[{object, result, categories:[{category, detected_indicator, context}]}]`.
 * The API is served where CyberTrace Web listens: `GUISettings > HTTPServer > ConnectionString`
 * (4.x) or `ServiceSettings > HTTPServer > ConnectionString` (5.0).
 *
 * HTTPS checks the certificate against the system CAs by default. A self-signed CyberTrace
 * certificate is accepted only through `ca` (the certificate or its CA, host name checked too) or
 * `fingerprint` (the SHA-256 of exactly that certificate). The TLS connection is made and checked
 * before a single byte of the request (and its Authorization header) is sent.
 */
import { request } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { UserError } from '../kernel/errors.js';
import { sha256 } from '../kernel/hash.js';
import { rememberSecret } from '../kernel/run-secrets.js';

export const LISTEN_SETTING = 'GUISettings > HTTPServer > ConnectionString (CyberTrace 4.x) or ServiceSettings > HTTPServer > ConnectionString (5.0)';

/** API version of the path; 1.0 is served by every CyberTrace that has the API (3.1 to 5.0). */
export const DEFAULT_API_VERSION = '1.0';

/**
 * CyberTrace 5.x: `POST /api/1.3/{TenantName}/lookup` looks up in one tenant, "available only if
 * multitenancy mode is enabled"; `/api/1.2/lookup` looks up in the General tenant (CyberTrace 5.1
 * help, page 198593 "REST API versions"; 5.0 page 296211).
 */
export function tenantLookupPath(tenant: string): string {
  return `/api/1.3/${encodeURIComponent(tenant)}/lookup`;
}
export const GENERAL_LOOKUP_PATH = '/api/1.2/lookup';

export interface HttpLookupOptions {
  /** `https://host:port` or, explicitly, `http://host:port`. */
  url: URL;
  timeoutMs: number;
  /** Absent = no Authorization header. */
  credentials?: { user: string; password: string };
  /** PEM of the CyberTrace certificate or of its CA. */
  ca?: string | Buffer;
  /** `SHA256:` and the certificate's SHA-256 in hex (colons allowed) or base64. */
  fingerprint?: string;
  /** CyberTrace 5.x: the tenant to look up in (API 1.3); absent = `/api/1.0/lookup`. */
  tenant?: string;
}

/** Which request answered, and why it was not the first one asked. */
export interface LookupRoute {
  path: string;
  /** Set when the tenant's route answered 404 and the General tenant's was asked instead. */
  fallback?: string;
}

export interface LookupCategory {
  category: string;
  detected_indicator: string;
  context: Record<string, unknown>;
}

export interface LookupAnswer {
  object: string;
  result?: string;
  categories: LookupCategory[];
}

/** Parses a base URL given by the user; anything but a scheme, host and port is refused. */
export function parseLookupUrl(value: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`${where}: must be https://HOST:PORT (or, explicitly, http://HOST:PORT), e.g. https://192.0.2.10:443 (got "${value}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UserError(`${where}: the scheme must be https:// or http:// (got "${url.protocol}")`);
  if (url.username || url.password) throw new UserError(`${where}: no user or password in the URL; name environment variables in cybertrace.http_api instead`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new UserError(`${where}: only scheme, host and port, no path (got "${value}")`);
  return url;
}

/** Normalises `SHA256:…` (hex with or without colons, or base64) to lower-case hex. */
export function parseFingerprint(value: string): string {
  const m = /^SHA256:(.+)$/i.exec(value.trim());
  const body = m?.[1] ?? '';
  const hex = body.replace(/:/g, '');
  if (/^[0-9a-f]{64}$/i.test(hex)) return hex.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=?$/.test(body)) return Buffer.from(body, 'base64').toString('hex');
  throw new UserError(
    `--fingerprint: must be SHA256: followed by the certificate's SHA-256 in hex (as "openssl x509 -noout -fingerprint -sha256" prints it) or base64 (got "${value}")`,
  );
}

function colonHex(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(':');
}

const TLS_HINT = 'pass --ca FILE with the CyberTrace certificate (or its CA), or --fingerprint SHA256:… of the certificate, checked out of band';

function connectionError(where: string, e: NodeJS.ErrnoException, timeoutMs: number): UserError {
  switch (e.code) {
    case 'ECONNREFUSED':
      return new UserError(`CyberTrace HTTP API at ${where}: connection refused (nothing listens there: check ${LISTEN_SETTING} and the port of --to)`);
    case 'ENOTFOUND':
      return new UserError(`CyberTrace HTTP API at ${where}: host name not found`);
    case 'ETIMEDOUT':
      return new UserError(
        `CyberTrace HTTP API at ${where}: no connection within ${timeoutMs / 1000}s (is the service running, is the port open in the firewall?)`,
      );
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return new UserError(
        `CyberTrace HTTP API at ${where}: the TLS handshake failed (${e.message.split('\n')[0]}); if that port speaks plain HTTP, use http:// explicitly`,
      );
    default:
      return new UserError(`CyberTrace HTTP API at ${where}: ${e.message}`);
  }
}

/** Opens the connection; for HTTPS, returns only once the certificate passed the check. */
async function openConnection(opts: HttpLookupOptions, deadline: number): Promise<Socket> {
  const host = opts.url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(opts.url.port || (opts.url.protocol === 'https:' ? 443 : 80));
  // Host and port even when the URL leaves the port to its scheme: "refused" must say where.
  const where = `${opts.url.hostname}:${port}`;
  const pinned = opts.fingerprint !== undefined ? parseFingerprint(opts.fingerprint) : undefined;
  return new Promise<Socket>((resolve, reject) => {
    let socket: Socket;
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(connectionError(where, Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), opts.timeoutMs)),
      Math.max(0, deadline - Date.now()),
    );
    if (opts.url.protocol === 'http:') {
      socket = netConnect({ host, port });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
    } else {
      const tls: TLSSocket = tlsConnect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        // With a pinned fingerprint the chain is not judged by CAs; the check below compares the certificate itself.
        rejectUnauthorized: pinned === undefined,
      });
      socket = tls;
      tls.once('secureConnect', () => {
        const peer = tls.getPeerCertificate();
        const der = peer.raw;
        if (pinned !== undefined) {
          const got = der ? sha256(der) : '';
          if (got !== pinned) {
            fail(
              new UserError(
                `CyberTrace HTTP API at ${where}: the certificate's SHA-256 is ${got ? `SHA256:${colonHex(got)}` : 'unknown'}, not the --fingerprint given (SHA256:${colonHex(pinned)}); nothing was sent`,
              ),
            );
            return;
          }
          // A pin replaces the CAs, not the validity period: an expired (or not yet valid) certificate is refused as without a pin.
          const from = Date.parse(peer.valid_from);
          const to = Date.parse(peer.valid_to);
          const now = Date.now();
          if (!(now >= from && now <= to)) {
            const state = now > to ? `expired on ${new Date(to).toISOString()}` : `not valid before ${new Date(from).toISOString()}`;
            fail(
              new UserError(
                `CyberTrace HTTP API at ${where}: the pinned certificate ${state} (valid ${peer.valid_from} to ${peer.valid_to}); --fingerprint does not make it acceptable: renew the CyberTrace certificate (or correct this machine's clock). Nothing was sent.`,
              ),
            );
            return;
          }
        }
        clearTimeout(timer);
        resolve(tls);
      });
    }
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME/.test(e.code ?? '')) {
        fail(new UserError(`CyberTrace HTTP API at ${where}: certificate not trusted (${e.code}: ${e.message}); ${TLS_HINT}. Nothing was sent.`));
        return;
      }
      fail(connectionError(where, e, opts.timeoutMs));
    });
  });
}

/**
 * What a server said in an error answer, briefly: an HTML page (a proxy's, a login page) by its
 * title, anything else by its first 200 characters.
 */
export function summariseBody(body: string, statusText?: string): string {
  const text = body.trim();
  if (/^<(?:!doctype\s+html|html|head|body)\b/i.test(text) || /<\/html>\s*$/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
    return ` The server answered with an HTML page${title ? ` titled ${JSON.stringify(title)}` : ''}${statusText ? ` (${statusText})` : ''}, not CyberTrace's JSON: is --to the CyberTrace HTTP server (${LISTEN_SETTING}) and not a proxy or another web server?`;
  }
  return text ? ` CyberTrace said: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : statusText ? ` (${statusText})` : '';
}

function statusError(where: string, status: number, body: string, withCredentials: boolean, statusText?: string): UserError {
  const said = summariseBody(body, statusText);
  switch (status) {
    case 401:
      return new UserError(
        withCredentials
          ? `CyberTrace HTTP API at ${where}: 401 Unauthorized — the user does not exist or its password does not match; check the variables named by cybertrace.http_api.user_env / password_env.${said}`
          : `CyberTrace HTTP API at ${where}: 401 Unauthorized — it needs a user and password: set cybertrace.http_api.user_env and password_env in the site file to the names of environment variables that hold them, or run on a terminal to be asked.${said}`,
      );
    case 403:
      return new UserError(
        `CyberTrace HTTP API at ${where}: 403 — this user may not look up indicators, or the license does not include indicator search.${said}`,
      );
    case 404:
      return new UserError(
        `CyberTrace HTTP API at ${where}: 404 — no lookup request there: is --to the CyberTrace HTTP server (${LISTEN_SETTING}) and does this CyberTrace have the API?${said}`,
      );
    case 425:
      return new UserError(`CyberTrace HTTP API at ${where}: 425 — CyberTrace is still initializing; try again in a minute.${said}`);
    case 429:
      return new UserError(`CyberTrace HTTP API at ${where}: 429 — CyberTrace is overloaded and refused the request; try again later.${said}`);
    default:
      return new UserError(`CyberTrace HTTP API at ${where}: HTTP ${status}.${said}`);
  }
}

/** Checks the documented answer shape and returns it typed; a UserError says what is off. */
function readAnswer(where: string, body: string, sent: number): LookupAnswer[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const start = body.trim().slice(0, 60).replace(/\s+/g, ' ');
    const page = summariseBody(body);
    if (page.includes('HTML page')) throw new UserError(`CyberTrace HTTP API at ${where}: HTTP 200.${page}`);
    throw new UserError(
      `CyberTrace HTTP API at ${where}: the answer is not JSON (it starts with ${JSON.stringify(start)}); is --to the CyberTrace HTTP server (${LISTEN_SETTING}) and not a proxy or another web server?`,
    );
  }
  const shape = `not in the documented shape [{object, result, categories:[{category, detected_indicator, context}]}]`;
  if (!Array.isArray(json) || json.length !== sent) {
    throw new UserError(`CyberTrace HTTP API at ${where}: the answer is ${shape} (expected an array of ${sent} results)`);
  }
  return json.map((entry: unknown, i) => {
    const e = entry as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e.object !== 'string' || !Array.isArray(e.categories)) {
      throw new UserError(`CyberTrace HTTP API at ${where}: result ${i + 1} of the answer is ${shape}`);
    }
    const categories = (e.categories as unknown[]).map((c, j) => {
      const cat = c as Record<string, unknown>;
      if (typeof cat !== 'object' || cat === null || typeof cat.category !== 'string' || typeof cat.detected_indicator !== 'string') {
        throw new UserError(`CyberTrace HTTP API at ${where}: category ${j + 1} of result ${i + 1} is ${shape}`);
      }
      const context = typeof cat.context === 'object' && cat.context !== null ? (cat.context as Record<string, unknown>) : {};
      return { category: cat.category, detected_indicator: cat.detected_indicator, context };
    });
    return { object: e.object, ...(typeof e.result === 'string' ? { result: e.result } : {}), categories };
  });
}

/** The most of an answer read: the lookup of a few indicators answers in kilobytes. */
export const MAX_ANSWER_CHARS = 16 * 1024 * 1024;

/** One POST of the lookup body to `path`; the status and text of the answer. */
async function postLookup(opts: HttpLookupOptions, path: string, body: string): Promise<{ status: number; text: string; statusText?: string }> {
  const where = `${opts.url.protocol}//${opts.url.host}`;
  const deadline = Date.now() + opts.timeoutMs;
  const socket = await openConnection(opts, deadline);
  const headers: Record<string, string | number> = {
    Accept: 'application/json',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  };
  if (opts.credentials) {
    const basic = `${opts.credentials.user}:${opts.credentials.password}`;
    // What is sent is hidden wherever it comes back (a server or proxy echoing the request).
    rememberSecret(opts.credentials.password);
    rememberSecret(basic);
    headers.Authorization = `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`;
  }
  // No agent: the request goes over the connection checked above (an agent would open its own).
  const answer = new Promise<{ status: number; text: string; statusText?: string }>((resolve, reject) => {
    const req = request({ method: 'POST', host: opts.url.hostname, port: opts.url.port, path, headers, createConnection: () => socket });
    const timer = setTimeout(
      () => {
        req.destroy();
        reject(
          new UserError(
            `CyberTrace HTTP API at ${where}: no answer within ${opts.timeoutMs / 1000}s (is CyberTrace overloaded or still starting? raise --timeout)`,
          ),
        );
      },
      Math.max(0, deadline - Date.now()),
    );
    req.on('response', (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (d: string) => {
        text += d;
        // The answer to the verification indicators is a few KB: an endless body is not CyberTrace.
        if (text.length > MAX_ANSWER_CHARS) {
          clearTimeout(timer);
          req.destroy();
          reject(
            new UserError(
              `CyberTrace HTTP API at ${where}: the answer is larger than ${MAX_ANSWER_CHARS / 1024 / 1024} MiB and was cut; is --to the CyberTrace HTTP server (${LISTEN_SETTING}) and not another service?`,
            ),
          );
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text, statusText: res.statusMessage });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(connectionError(where, e, opts.timeoutMs));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e instanceof UserError ? e : connectionError(where, e, opts.timeoutMs));
    });
    req.end(body);
  });
  return answer.finally(() => socket.destroy());
}

/**
 * Looks up `objects` in one request and returns one answer per object, in the order sent. With a
 * tenant, API 1.3's tenant route is asked first; a 404 there (no multitenancy licence) makes it
 * ask `/api/1.2/lookup` (the General tenant) and say so in the route.
 */
export async function httpLookupRoute(opts: HttpLookupOptions, objects: readonly string[]): Promise<{ answers: LookupAnswer[]; route: LookupRoute }> {
  const where = `${opts.url.protocol}//${opts.url.host}`;
  const body = JSON.stringify(objects.map((object) => ({ object })));
  let path = opts.tenant !== undefined ? tenantLookupPath(opts.tenant) : `/api/${DEFAULT_API_VERSION}/lookup`;
  let { status, text, statusText } = await postLookup(opts, path, body);
  let fallback: string | undefined;
  if (status === 404 && opts.tenant !== undefined) {
    fallback = `${path} answered 404 (this CyberTrace has no multitenancy licence, or no tenant "${opts.tenant}"): asked ${GENERAL_LOOKUP_PATH} instead, which looks up in the General tenant`;
    path = GENERAL_LOOKUP_PATH;
    ({ status, text, statusText } = await postLookup(opts, path, body));
  }
  if (status !== 200) throw statusError(where, status, text, opts.credentials !== undefined, statusText);
  return { answers: readAnswer(where, text, objects.length), route: { path, ...(fallback ? { fallback } : {}) } };
}

/** httpLookupRoute without the route. */
export async function httpLookup(opts: HttpLookupOptions, objects: readonly string[]): Promise<LookupAnswer[]> {
  return (await httpLookupRoute(opts, objects)).answers;
}
