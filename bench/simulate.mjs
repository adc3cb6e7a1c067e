#!/usr/bin/env node
// `ctconnect simulate` throughput: FortiSIEM-format events sent over TCP to a receiver on
// loopback (a separate process that counts lines), as fast as the receiver takes them.
// Reports events/s and the peak memory (max RSS) of the sending process.
// Usage: npm run build && node bench/simulate.mjs [events]
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const cli = join(root, 'bin', 'ctconnect.js');
const total = Number(process.argv[2] ?? 200000);

// The receiver prints its port, then the number of lines it got when the sender closes.
const sinkCode = `
const net = require('net');
const s = net.createServer((c) => { let n = 0; c.on('data', (d) => { for (const b of d) if (b === 10) n++; }); c.on('end', () => { process.stdout.write('got ' + n + '\\n'); }); });
s.listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'));
`;

async function run(count, rate) {
  const sink = spawn(process.execPath, ['-e', sinkCode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  sink.stdout.on('data', (d) => (out += d));
  while (!/port \d+/.test(out)) await new Promise((r) => setTimeout(r, 10));
  const port = /port (\d+)/.exec(out)[1];
  // GNU time gives the sender's peak memory; fall back to no figure where it is missing.
  const haveTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  const args = [cli, 'simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--count', String(count), '--rate', String(rate), '--json'];
  const r = haveTime ? spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`simulate failed: ${r.stderr}`);
  while (!/got \d+/.test(out)) await new Promise((r) => setTimeout(r, 10));
  sink.kill();
  const result = JSON.parse(r.stdout);
  const rss = /maxrss_kb=(\d+)/.exec(r.stderr);
  return { ...result, received: Number(/got (\d+)/.exec(out)[1]), maxRssMb: rss ? Number(rss[1]) / 1024 : undefined };
}

console.log(`node ${process.version}; each row is one \`ctconnect simulate fortisiem\` process`);
console.log('| events | rate limit | sent/s | received | MB sent | max RSS MB |');
console.log('|---|---|---|---|---|---|');
for (const [count, rate] of [[10000, 0], [total, 0], [2000, 1000]]) {
  const r = await run(count, rate);
  console.log(`| ${count} | ${rate || 'none'} | ${Math.round(r.perSecond)} | ${r.received} | ${(r.bytes / 1e6).toFixed(1)} | ${r.maxRssMb?.toFixed(1) ?? 'n/a'} |`);
}
