/** `ctconnect simulate <siem>`: play CyberTrace and send events in this connector's output format to the SIEM. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { UserError } from '../kernel/errors.js';
import { sampleEvents, eventsFromText, cyclingEvents } from '../simulate/events.js';
import { sendLines } from '../simulate/send.js';
import { action, catchInterrupts, INTERRUPTED_EXIT } from './run.js';
import { connectorSite, settingsFor } from '../bundle/build.js';
import { printJson } from './json.js';
import { parseHostPort } from './host-port.js';
import type { ConnectorSet } from '../connector/connector-set.js';

interface SimulateOptions {
  config?: string;
  to?: string;
  count?: string;
  rate?: string;
  udp?: boolean;
  file?: string;
  print?: boolean;
  json?: boolean;
}

function positiveInt(value: string, option: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new UserError(`${option}: must be a whole number${allowZero ? ' ≥ 0' : ' ≥ 1'} (got "${value}")`);
  return n;
}

export function register(program: Command, registry: ConnectorSet): void {
  program
    .command('simulate')
    .description("play CyberTrace: send service alerts and detection events in this connector's output format to the SIEM")
    .argument('<siem>', 'connector id')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--to <host:port>', 'receiver (default: OutputSettings > ConnectionString of this bundle)')
    .option('--count <n>', 'number of events (default: 10 samples; with --file each line once, more repeat the file)')
    .option(
      '--rate <per-second>',
      'events per second (default: no limit, over TCP as fast as the receiver reads; with --udp set one the SIEM can take; 0 = no limit)',
    )
    .option('--udp', 'send UDP datagrams instead of TCP')
    .option('--file <events.txt>', 'send these lines (one event per line) instead of generated samples, once each unless --count says more')
    .option('--print', 'print the events instead of sending them')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (siem: string, opts: SimulateOptions) => {
        const connector = registry.get(siem);
        const fullSite = loadCliSite(opts.config, registry);
        if (!fullSite.siems[connector.id]) throw new UserError(`${fullSite.source}: no "siems.${connector.id}" section`);
        // The CyberTrace instance that serves this SIEM is the one being played.
        const site = connectorSite(fullSite, connector.id);
        const settings = settingsFor(connector, fullSite);
        // No rate asked for: as fast as possible, so `--count 200000` alone does not take hours.
        const rate = opts.rate === undefined ? 0 : positiveInt(opts.rate, '--rate', true);
        let custom: string[] | undefined;
        if (opts.file) {
          let text: string;
          try {
            text = readFileSync(opts.file, 'utf8');
          } catch (e) {
            throw new UserError(`--file ${opts.file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
          }
          custom = eventsFromText(text);
          if (custom.length === 0) throw new UserError(`--file ${opts.file}: no events in it (one per line; # starts a comment)`);
        }
        // A file is sent as written unless more copies are asked for.
        const count = opts.count !== undefined ? positiveInt(opts.count, '--count') : custom ? custom.length : 10;
        const target = parseHostPort(opts.to ?? settings.output.connectionString, opts.to ? '--to' : 'OutputSettings > ConnectionString');
        const now = new Date();
        const events = custom ? cyclingEvents(custom) : sampleEvents(settings, site, now);
        if (opts.print) {
          for (let i = 0; i < count; i++) process.stdout.write(`${events.line(i)}\n`);
          return;
        }
        // Ctrl-C: no further event goes out; what was sent is delivered and reported, then exit 130.
        const signals = catchInterrupts((signal) =>
          process.stderr.write(`ctconnect: ${signal}: stopping after the events already written (again to quit at once)\n`),
        );
        let result;
        try {
          result = await sendLines({
            host: target.host,
            port: target.port,
            protocol: opts.udp ? 'udp' : 'tcp',
            count,
            rate,
            timeoutMs: 10_000,
            events,
            interrupted: signals.interrupted,
          });
        } finally {
          signals.stop();
        }
        if (opts.json) printJson('simulate', { siem: connector.id, to: `${target.host}:${target.port}`, protocol: opts.udp ? 'udp' : 'tcp', ...result });
        else {
          const stopped = result.interrupted ? `interrupted: ` : '';
          const of = result.interrupted ? ` of ${count}` : '';
          process.stdout.write(
            `${stopped}sent ${result.sent}${of} events (${result.bytes} bytes) to ${target.host}:${target.port}/${opts.udp ? 'udp' : 'tcp'} in ${result.seconds.toFixed(2)}s (${Math.round(result.perSecond)}/s)\n`,
          );
        }
        return signals.interrupted() ? INTERRUPTED_EXIT : 0;
      }),
    );
}
