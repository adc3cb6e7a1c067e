/** `ctconnect verify <siem>`: end-to-end check of CyberTrace with this SIEM's event format and parser, or through CyberTrace's HTTP lookup API. */
import { readFileSync } from 'node:fs';
import { redactJson, redactText } from '../kernel/redact.js';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { UserError } from '../kernel/errors.js';
import { terminalPrompt } from '../kernel/prompt.js';
import { verifyConnector, verifyOverHttp, type VerifyRow } from '../verify/verify.js';
import { parseFingerprint, parseLookupUrl, type LookupRoute } from '../verify/http-lookup.js';
import { httpCredentials } from '../verify/http-credentials.js';
import { httpApiUrl } from '../cybertrace/http-api.js';
import { action, catchInterrupts, INTERRUPTED_EXIT } from './run.js';
import { createProgress } from './progress.js';
import { fitColumns, warn } from './output.js';
import { VERIFICATION_INDICATORS } from '../cybertrace/indicators.js';
import { printJson } from './json.js';
import { connectorSite } from '../bundle/build.js';
import { parseHostPort } from './host-port.js';
import type { ConnectorSet } from '../connector/connector-set.js';

interface VerifyCliOptions {
  config?: string;
  to?: string;
  timeout: string;
  json?: boolean;
  http?: boolean;
  tcp?: boolean;
  ca?: string;
  fingerprint?: string;
  allowPlainHttp?: boolean;
}

export function register(program: Command, registry: ConnectorSet): void {
  program
    .command('verify')
    .description(
      'send the documented test indicators to CyberTrace as this SIEM forwards them and check the detections with the SIEM-side parser, or ask them through the CyberTrace HTTP lookup API (--http)',
    )
    .argument('<siem>', 'connector id')
    .option('-c, --config <file>', CONFIG_HELP)
    .option(
      '--to <address>',
      'CyberTrace input HOST:PORT (default: cybertrace.address:input_port); with --http https://HOST:PORT or http://HOST:PORT (default: cybertrace.http_api.url)',
    )
    .option('--http', "ask through the CyberTrace HTTP lookup API (the default when the site's SIEM uses it, e.g. KUMA with cybertrace-http)")
    .option('--tcp', 'ask through the CyberTrace input port even when the SIEM uses the HTTP API')
    .option('--ca <file>', 'with --http over HTTPS: PEM file of the CyberTrace certificate or its CA (for a self-signed certificate)')
    .option('--fingerprint <SHA256:…>', 'with --http over HTTPS: accept exactly the certificate with this SHA-256 fingerprint')
    .option(
      '--allow-plain-http',
      'with --http to an http:// URL: send the API user and password anyway (Basic authentication over plain HTTP shows them to anyone on the path)',
    )
    .option('--timeout <seconds>', 'how long to wait for the answers (one deadline for all lookups)', '10')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (siem: string, opts: VerifyCliOptions) => {
        const connector = registry.get(siem);
        const fullSite = loadCliSite(opts.config, registry);
        if (!fullSite.siems[connector.id]) throw new UserError(`${fullSite.source}: no "siems.${connector.id}" section to verify`);
        // The site as this SIEM sees it: `cybertrace` is the instance that serves it (sites with several).
        const site = connectorSite(fullSite, connector.id);
        const timeout = Number(opts.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0) throw new UserError(`--timeout: must be a positive number of seconds (got "${opts.timeout}")`);
        if (opts.http && opts.tcp) throw new UserError('--http and --tcp: choose one');
        const http = opts.http || (!opts.tcp && (connector.lookupOverHttp?.(site) ?? false));
        if (!http && (opts.ca || opts.fingerprint)) throw new UserError('--ca and --fingerprint apply to the HTTP lookup API only (--http)');
        // Ctrl-C: the rows checked so far are printed, then exit 130 (the lookups still open are dropped).
        let onStop!: () => void;
        const stopped = new Promise<undefined>((resolve) => (onStop = () => resolve(undefined)));
        const signals = catchInterrupts((signal) => {
          process.stderr.write(`ctconnect: ${signal}: stopping; the indicators checked so far follow\n`);
          onStop();
        });
        const checked: VerifyRow[] = [];
        let rows: VerifyRow[] | undefined;
        let via: string;
        let fallback: string | undefined;
        // A traffic indicator repeats a documented value with another user name: labels must differ.
        const label = (i: number) => VERIFICATION_INDICATORS[i].value + (VERIFICATION_INDICATORS[i].user ? ` (user ${VERIFICATION_INDICATORS[i].user})` : '');
        try {
          if (http) {
            const url = opts.to ? parseLookupUrl(opts.to, '--to') : parseLookupUrl(httpApiUrl(site), 'cybertrace.http_api.url');
            if (url.protocol === 'http:' && (opts.ca || opts.fingerprint)) throw new UserError('--ca and --fingerprint apply to https:// only');
            if (opts.ca && opts.fingerprint) throw new UserError('--ca and --fingerprint: choose one');
            if (opts.fingerprint) parseFingerprint(opts.fingerprint);
            const ca = opts.ca ? readCa(opts.ca) : undefined;
            // Basic credentials over plain HTTP are readable by anyone on the path: only when asked for.
            const api = site.cybertrace.http_api ?? {};
            const plain = url.protocol === 'http:' && !opts.allowPlainHttp;
            if (plain && (api.user_env !== undefined || api.password_env !== undefined)) {
              throw new UserError(
                `--to ${url.protocol}//${url.host}: plain HTTP would show the CyberTrace API user and password (Basic authentication) to anyone on the path; nothing was sent`,
                [
                  'use https:// (with --ca or --fingerprint for a self-signed certificate), or add --allow-plain-http if this network is yours alone (e.g. a loopback rehearsal)',
                ],
              );
            }
            const credentials = await httpCredentials(site, process.env, plain ? undefined : terminalPrompt());
            // A 5.x CyberTrace is asked in the tenant that serves this SIEM (API 1.3).
            const tenant = site.cybertrace.version === '5.x' ? site.cybertrace.tenant?.name : undefined;
            let route: LookupRoute | undefined;
            via = `CyberTrace HTTP lookup API ${url.protocol}//${url.host}`;
            rows = await Promise.race([
              verifyOverHttp({
                url,
                timeoutMs: timeout * 1000,
                credentials,
                ca,
                fingerprint: opts.fingerprint,
                ...(tenant !== undefined ? { tenant } : {}),
                onRoute: (r) => (route = r),
              }),
              stopped,
            ]);
            via += route?.path ?? '';
            if (route?.fallback) {
              fallback = route.fallback;
              if (!opts.json) warn(route.fallback);
            }
          } else {
            const to = opts.to ? parseHostPort(opts.to, '--to') : undefined;
            via = `CyberTrace input port ${to ? `${to.host}:${to.port}` : `${site.cybertrace.address}:${site.cybertrace.input_port}`}`;
            const progress = createProgress(VERIFICATION_INDICATORS.map((_i, n) => label(n)));
            try {
              rows = await Promise.race([
                verifyConnector(connector, site, {
                  host: to?.host,
                  port: to?.port,
                  timeoutMs: timeout * 1000,
                  onRow: (r, i) => {
                    checked.push(r);
                    progress.done(
                      label(i),
                      r.ok,
                      r.ok
                        ? `OK (${r.category ?? 'detected'})${r.warnings ? `; ${r.warnings.length} field(s) read differently by a strict reader` : ''}`
                        : (r.problem ?? 'failed'),
                    );
                  },
                }),
                stopped,
              ]);
            } finally {
              await progress.finish();
            }
          }
        } finally {
          signals.stop();
        }
        const interrupted = rows === undefined;
        rows ??= checked;
        const failed = rows.filter((r) => !r.ok).length;
        const total = VERIFICATION_INDICATORS.length;
        // Rows arrive in indicator order: the ones not checked are those after them.
        const notChecked = VERIFICATION_INDICATORS.slice(rows.length).map((_i, n) => label(rows.length + n));
        if (opts.json) {
          // Rows quote the server's answer: a credential it echoes is hidden (the run knows what it sent).
          printJson(
            'verify',
            redactJson({
              siem: connector.id,
              via: http ? 'http' : 'tcp',
              target: via,
              ...(fallback ? { fallback } : {}),
              ok: !interrupted && failed === 0,
              rows,
              ...(interrupted ? { interrupted: true, notChecked } : {}),
            }),
          );
        } else {
          const last = http ? 'answer of the HTTP API' : 'parsed by ' + connector.title;
          const table = new Table({
            head: ['indicator', 'feed', 'detected', 'category', last],
            style: { head: [], border: [] },
            wordWrap: true,
            colWidths: fitColumns([34, 18, 10, 24, 40]),
          });
          rows.forEach((r, i) =>
            table.push([
              label(i),
              r.feed,
              r.detected ? 'yes' : 'no',
              r.category ?? '-',
              r.ok ? `OK (${r.contextPairs ?? 0} context fields)` : (r.problem ?? 'failed'),
            ]),
          );
          process.stdout.write(`${redactText(table.toString(), [], { prose: true })}\n`);
          rows.forEach((r, i) => r.warnings?.forEach((w) => process.stdout.write(`${redactText(`warning: ${label(i)}: ${w}`, [], { prose: true })}\n`)));
          if (interrupted) {
            process.stdout.write(
              `verify ${connector.id}: interrupted: ${rows.length} of ${total} indicators checked (${rows.length - failed} OK); not checked: ${notChecked.join(', ')} (${via})\n`,
            );
          } else {
            process.stdout.write(
              failed === 0
                ? `verify ${connector.id}: all ${rows.length} indicators detected and ${http ? 'answered' : 'parsed'}, each with its expected category (${via})\n`
                : `verify ${connector.id}: ${failed} of ${rows.length} indicators not OK (${via})\n`,
            );
          }
        }
        // Lookups still waiting for an answer would keep the process alive until their deadline.
        if (interrupted) process.exit(INTERRUPTED_EXIT);
        return failed === 0 ? 0 : 1;
      }),
    );
}

function readCa(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    throw new UserError(`--ca: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
    throw new UserError(`--ca: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}
