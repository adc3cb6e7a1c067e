/**
 * `ctconnect cybertrace serve --siem X`: a stand-in for the CyberTrace that this SIEM's bundle
 * configures, to rehearse `verify` and the SIEM side before CyberTrace is installed. It is the
 * server the tests use (src/cybertrace/server.ts, http-server.ts) with the bundle's settings and
 * the documented test indicators as its feed, and it logs what it receives on stdout.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../kernel/errors.js';
import type { ConnectorSet } from '../connector/connector-set.js';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { action } from './run.js';
import { info, warn } from './output.js';
import { parseHostPort } from './host-port.js';

interface ServeOptions {
  siem: string;
  config?: string;
  listen?: string;
  http?: boolean;
  tls?: boolean;
  cert?: string;
  key?: string;
  output?: string;
}

/** The default port of the stand-in HTTP API: the real one's 443 needs root. */
const DEFAULT_HTTP_PORT = 9443;

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host);
const stamp = (): string => new Date().toISOString().slice(11, 19);
const line = (text: string): void => void process.stdout.write(`${text}\n`);

function readPem(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${option} ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Resolves when SIGINT or SIGTERM arrives. */
const stopSignal = (): Promise<string> =>
  new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  });

export function registerServe(ct: Command, registry: ConnectorSet): void {
  ct.command('serve')
    .description(
      "answer as the CyberTrace this SIEM's bundle configures would (its regexps, formats and the documented test indicators), to rehearse verify and the SIEM side; logs what it receives",
    )
    .requiredOption('--siem <id>', 'connector whose CyberTrace settings to serve (see `ctconnect list`)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option(
      '--listen <host:port>',
      `where to listen (default: 127.0.0.1 and the site's cybertrace.input_port; with --http 127.0.0.1:${DEFAULT_HTTP_PORT}); another address than loopback only when given here`,
    )
    .option(
      '--http',
      'serve the HTTP lookup API (POST /api/<version>/lookup) instead of the input port; Basic authentication with the user and password of the variables the site names (cybertrace.http_api.user_env, password_env)',
    )
    .option(
      '--tls',
      'with --http: HTTPS, with a self-signed certificate made at start (its SHA-256 is printed for verify --fingerprint) unless --cert and --key are given',
    )
    .option('--cert <file>', 'with --tls: PEM certificate')
    .option('--key <file>', 'with --tls: PEM private key')
    .option('--output <host:port>', "where detections go when a client does not ask for ReplyBack (default: the bundle's OutputSettings > ConnectionString)")
    .addHelpText(
      'after',
      `
The feed holds the documented test indicators only (the ones \`ctconnect verify\` sends), so a
detection here means the event was read with the bundle's regexps; it says nothing about real feeds.
Reading events needs pcre2grep (Debian, Ubuntu: apt-get install pcre2-utils), the PCRE engine the
service's regexps are written for. Stops on Ctrl-C (exit 0).`,
    )
    .action(
      action(async (opts: ServeOptions) => {
        const connector = registry.get(opts.siem);
        if (!opts.http && (opts.tls || opts.cert || opts.key)) throw new UserError('--tls, --cert and --key apply to the HTTP lookup API only (--http)');
        if ((opts.cert || opts.key) && !opts.tls) throw new UserError('--cert and --key: add --tls');
        if (!!opts.cert !== !!opts.key) throw new UserError('--cert and --key: give both');
        if (opts.http && opts.output) throw new UserError('--output applies to the input port only (not with --http)');
        const fullSite = loadCliSite(opts.config, registry);
        if (!fullSite.siems[connector.id]) throw new UserError(`${fullSite.source}: no "siems.${connector.id}" section to serve`);
        const [{ connectorSite, settingsFor }, { demoFeed }] = await Promise.all([import('../bundle/build.js'), import('../verify/demo-feed.js')]);
        const site = connectorSite(fullSite, connector.id);
        const listen = opts.listen
          ? parseHostPort(opts.listen, '--listen')
          : { host: '127.0.0.1', port: opts.http ? DEFAULT_HTTP_PORT : site.cybertrace.input_port };
        if (!isLoopback(listen.host))
          warn(`listening on ${listen.host}: other machines can reach this stand-in (it answers lookups of the test indicators only)`);
        const feed = demoFeed();
        const close = opts.http ? await serveHttp(opts, site, listen, feed) : await serveInput(opts, settingsFor(connector, fullSite), listen, feed);
        const signal = await stopSignal();
        await close();
        info(`stopped (${signal})`);
        return 0;
      }),
    );
}

type Feed = ReturnType<typeof import('../verify/demo-feed.js').demoFeed>;
type Listen = { host: string; port: number };

function listenProblem(e: unknown, listen: Listen): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `--listen ${listen.host}:${listen.port}`;
  if (code === 'EADDRINUSE') return new UserError(`${where}: the port is in use (a CyberTrace or another stand-in?): choose another with --listen`);
  if (code === 'EACCES') return new UserError(`${where}: ports below 1024 need root: choose a higher one with --listen`);
  if (code === 'EADDRNOTAVAIL') return new UserError(`${where}: no interface of this machine has that address`);
  return e;
}

async function serveInput(
  opts: ServeOptions,
  settings: import('../model/cybertrace.js').CyberTraceSettings,
  listen: Listen,
  feed: Feed,
): Promise<() => Promise<void>> {
  const [{ startCyberTraceServer, serverOptionsFor }, { pcreCheck }] = await Promise.all([import('../cybertrace/server.js'), import('../cybertrace/pcre.js')]);
  pcreCheck(settings.input.regexps);
  const output = parseHostPort(opts.output ?? settings.output.connectionString, opts.output ? '--output' : 'OutputSettings > ConnectionString');
  const server = await startCyberTraceServer({
    ...serverOptionsFor(settings),
    feed,
    listen,
    output,
    onEvent: ({ from, event, detections, replyBack }) => {
      line(`${stamp()} ${from} event: ${event}`);
      for (const d of detections) line(`${stamp()}   detection${replyBack ? ' (ReplyBack)' : ` → ${output.host}:${output.port}`}: ${d}`);
      if (detections.length === 0) line(`${stamp()}   no detection`);
    },
  }).catch((e: unknown) => {
    throw listenProblem(e, listen);
  });
  info(
    `ctconnect: CyberTrace stand-in for ${settings.serves?.siem ?? opts.siem} listening on ${listen.host}:${server.port} (input: ${settings.input.regexps.length} regexps of the bundle; detections without ReplyBack go to ${output.host}:${output.port}); Ctrl-C stops it`,
  );
  return () => server.close();
}

async function serveHttp(opts: ServeOptions, site: import('../model/site.js').Site, listen: Listen, feed: Feed): Promise<() => Promise<void>> {
  const [{ startCyberTraceHttpServer, selfSignedCertificate, certificateFingerprint }, { httpCredentials }] = await Promise.all([
    import('../cybertrace/http-server.js'),
    import('../verify/http-credentials.js'),
  ]);
  // The account verify will use: the one the site names; none named, no authentication.
  const credentials = await httpCredentials(site, process.env, undefined);
  // The stand-in's own certificate, or what to do when openssl cannot make one.
  const selfSigned = () => {
    try {
      return selfSignedCertificate('ctconnect cybertrace serve');
    } catch (e) {
      throw new UserError(`--tls: ${(e as Error).message}; give --cert FILE and --key FILE instead`);
    }
  };
  const tls = opts.tls ? (opts.cert && opts.key ? { cert: readPem(opts.cert, '--cert'), key: readPem(opts.key, '--key') } : selfSigned()) : undefined;
  const server = await startCyberTraceHttpServer({
    feed,
    listen,
    tls,
    ...(credentials ? { users: { [credentials.user]: credentials.password } } : {}),
    onRequest: (r) => {
      line(
        `${stamp()} ${r.from} ${r.method} ${r.path}${r.user !== undefined ? ` user ${r.user}` : ''} → ${r.status}${r.objects.length > 0 ? `: ${r.objects.length} objects, detected: ${r.detected.join(', ') || 'none'}` : ''}`,
      );
    },
  }).catch((e: unknown) => {
    throw listenProblem(e, listen);
  });
  const auth = credentials
    ? `Basic authentication as ${credentials.user}`
    : 'no authentication (the site names no cybertrace.http_api.user_env / password_env)';
  if (tls) {
    const fp = certificateFingerprint(tls.cert);
    info(`certificate ${fp} (verify --http --to ${server.url} --fingerprint ${fp})`);
  }
  // Last, so a script waiting for this line has everything above.
  info(`ctconnect: CyberTrace HTTP lookup API stand-in at ${server.url} (${auth}); Ctrl-C stops it`);
  return () => server.close();
}
