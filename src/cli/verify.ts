/** `ctconnect verify <siem>`: end-to-end check of CyberTrace with this SIEM's event format and parser. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { getConnector } from '../../connectors/registry.js';
import { UserError } from '../core/errors.js';
import { verifyConnector } from '../verify/verify.js';
import { action } from './run.js';
import { createProgress } from './progress.js';
import { fitColumns } from './output.js';
import { VERIFICATION_INDICATORS } from '../verify/indicators.js';
import { printJson } from './json.js';
import { connectorSite } from '../bundle/build.js';
import { parseHostPort } from './host-port.js';

export function register(program: Command): void {
  program
    .command('verify')
    .description('send the documented test indicators to CyberTrace as this SIEM forwards them and check the detections with the SIEM-side parser')
    .argument('<siem>', 'connector id')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--to <host:port>', 'CyberTrace input (default: cybertrace.address:input_port of the site)')
    .option('--timeout <seconds>', 'how long to wait for each answer', '10')
    .option('--json', 'print the result as JSON')
    .action(action(async (siem: string, opts: { config?: string; to?: string; timeout: string; json?: boolean }) => {
      const connector = getConnector(siem);
      const site = loadCliSite(opts.config);
      if (!site.siems[connector.id]) throw new UserError(`${site.source}: no "siems.${connector.id}" section to verify`);
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UserError(`--timeout: must be a positive number of seconds (got "${opts.timeout}")`);
      const to = opts.to ? parseHostPort(opts.to, '--to') : undefined;
      const progress = createProgress(VERIFICATION_INDICATORS.map((i) => i.value));
      let rows;
      try {
        rows = await verifyConnector(connector, connectorSite(site, connector.id), {
          host: to?.host,
          port: to?.port,
          timeoutMs: timeout * 1000,
          onRow: (r) => progress.done(r.indicator, r.ok, r.ok ? `OK (${r.category ?? 'detected'})` : r.problem ?? 'failed'),
        });
      } finally {
        await progress.finish();
      }
      const failed = rows.filter((r) => !r.ok).length;
      if (opts.json) {
        printJson('verify', { siem: connector.id, ok: failed === 0, rows });
      } else {
        const table = new Table({ head: ['indicator', 'feed', 'detected', 'category', 'parsed by ' + connector.title], style: { head: [], border: [] }, wordWrap: true, colWidths: fitColumns([34, 18, 10, 24, 40]) });
        for (const r of rows) table.push([r.indicator, r.feed, r.detected ? 'yes' : 'no', r.category ?? '-', r.ok ? `OK (${r.contextPairs ?? 0} context fields)` : r.problem ?? 'failed']);
        process.stdout.write(`${table.toString()}\n`);
        process.stdout.write(failed === 0 ? `verify ${connector.id}: all ${rows.length} indicators detected and parsed\n` : `verify ${connector.id}: ${failed} of ${rows.length} indicators not OK\n`);
      }
      return failed === 0 ? 0 : 1;
    }));
}
