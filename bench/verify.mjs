#!/usr/bin/env node
// `ctconnect verify` over TCP with the 8 verification indicators, against the project's CyberTrace
// test server (src/cybertrace/server.ts: real PCRE regexps, the bundle's own formats; it
// writes each detection and the finished event separately), as a whole process, against
// `ctconnect validate` of the same site as the baseline. Alternating runs, medians, the ratio.
// Then a service that never sends the finished event: how long verify takes to give up.
// The server runs in a process of its own (through vite-node, which comes with vitest, as it is
// TypeScript), so its work is not counted in the client's process but its answers are waited for.
// Usage: npm run bench:verify   (or: npm run build && node bench/verify.mjs [runs] [siem])
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'ctconnect.js');
const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 15);
const siem = process.argv[3] ?? 'fortisiem';
const site = join(root, 'examples', 'site.yaml');

// The server as the verify tests start it: the connector's regexps and formats, the demo feed.
const serverCode = `
import { getConnector } from ${JSON.stringify(join(root, 'connectors/registry.ts'))};
import { exampleSite } from ${JSON.stringify(join(root, 'test/helpers/bundles.ts'))};
import { serverOptionsFor, startCyberTraceServer } from ${JSON.stringify(join(root, 'src/cybertrace/server.ts'))};
import { demoFeed } from ${JSON.stringify(join(root, 'src/verify/demo-feed.ts'))};
const site = exampleSite();
const s = getConnector(${JSON.stringify(siem)}).cybertrace(site);
const start = (behaviour) => startCyberTraceServer({ ...serverOptionsFor(s), feed: demoFeed(), behaviour });
// A second one reads every event and never answers: the case of no finished event.
const [server, hang] = [await start('normal'), await start('hang')];
process.stdout.write('port ' + server.port + ' hang ' + hang.port + '\\n');
process.stdin.on('end', () => Promise.all([server.close(), hang.close()]).then(() => process.exit(0)));
process.stdin.resume();
`;

const work = mkdtempSync(join(tmpdir(), 'ctc-bench-verify-'));
const serverFile = join(work, 'server.ts');
writeFileSync(serverFile, serverCode);
const server = spawn(join(root, 'node_modules', '.bin', 'vite-node'), [serverFile], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
try {
  let out = '';
  server.stdout.on('data', (d) => (out += d));
  const started = Date.now();
  while (!/port \d+ hang \d+/.test(out)) {
    if (server.exitCode !== null || Date.now() - started > 60_000) throw new Error('the CyberTrace test server did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  const [, port, hangPort] = /port (\d+) hang (\d+)/.exec(out);

  const time = async (args, exitCode = 0) => {
    const t0 = process.hrtime.bigint();
    // Asynchronous, so this process stays free while the child runs.
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    const code = await new Promise((r) => child.on('close', r));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (code !== exitCode) throw new Error(`ctconnect ${args.join(' ')} exited ${code}: ${stderr}`);
    return ms;
  };
  const validateArgs = ['validate', '-c', site];
  const verifyArgs = ['verify', siem, '-c', site, '--to', `127.0.0.1:${port}`];
  // Warm the file cache and the server's first lookups.
  await time(validateArgs);
  await time(verifyArgs);
  const validate = [];
  const verify = [];
  for (let i = 0; i < runs; i++) {
    validate.push(await time(validateArgs));
    verify.push(await time(verifyArgs));
  }
  // The lookups alone, in this process: how much of verify is waiting for the test server, whose
  // PCRE runs one pcre2grep process per regexp and event (8 events × the connector's regexps).
  const { verifyConnector } = await import(join(root, 'dist/src/verify/verify.js'));
  const { getConnector, registry } = await import(join(root, 'dist/connectors/registry.js'));
  const { loadSite } = await import(join(root, 'dist/src/config/load.js'));
  const { connectorSite } = await import(join(root, 'dist/src/bundle/build.js'));
  const { VERIFICATION_INDICATORS } = await import(join(root, 'dist/src/cybertrace/indicators.js'));
  const n = VERIFICATION_INDICATORS.length;
  const connector = getConnector(siem);
  const siemSite = connectorSite(loadSite(site, registry), siem);
  const lookups = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const rows = await verifyConnector(connector, siemSite, { host: '127.0.0.1', port: Number(port), timeoutMs: 10_000 });
    lookups.push(performance.now() - t0);
    if (!rows.every((r) => r.ok)) throw new Error('verify found problems: the bench needs a clean run');
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const row = (name, xs) => `| ${name} | ${median(xs).toFixed(1)} ms | ${Math.min(...xs).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms |`;
  console.log(`runs: ${runs} each, alternating; node ${process.version}; CyberTrace test server on 127.0.0.1:${port}`);
  console.log('| command | median | min | max |');
  console.log('|---|---:|---:|---:|');
  console.log(row(`ctconnect validate`, validate));
  console.log(row(`ctconnect verify ${siem} (${n} indicators)`, verify));
  console.log(row(`of which the ${n} lookups (in-process)`, lookups));
  console.log(`ratio verify / validate: ${(median(verify) / median(validate)).toFixed(2)}`);
  // No finished event: every lookup runs into the one deadline (--timeout 2), once, not once per indicator.
  const hung = [];
  for (let i = 0; i < 3; i++) hung.push(await time(['verify', siem, '-c', site, '--to', `127.0.0.1:${hangPort}`, '--timeout', '2'], 1));
  console.log(`a service that never sends the finished event, --timeout 2: verify exits 1 after ${median(hung).toFixed(0)} ms (median of 3)`);
} finally {
  server.stdin.end();
  await new Promise((r) => (server.exitCode !== null ? r() : server.on('close', r)));
  rmSync(work, { recursive: true, force: true });
}
