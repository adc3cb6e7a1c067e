#!/usr/bin/env node
// `ctconnect simulate` throughput: FortiSIEM-format events sent over TCP to a receiver process on
// loopback that counts lines, against a minimal Node sender writing the same bytes (made by
// `simulate --print`) to the same receiver. Whole processes, alternating runs, medians.
// Events per second are measured by the receiver, from the connection to its end, for both
// senders alike; the whole process's wall time and peak memory (max RSS) are shown as well.
// Then the pacing: events at --rate, first to last event as the receiver saw them.
// Usage: npm run bench:simulate   (or: npm run build && node bench/simulate.mjs [events] [runs])
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'ctconnect.js');
const total = Number(process.argv[2] ?? 200000);
const runs = Number(process.argv[3] ?? process.env.BENCH_RUNS ?? 7);

// The receiver prints its port, then for each connection: lines, ms from connection to end,
// ms from first to last line end seen.
const sinkCode = `
const net = require('net');
const s = net.createServer((c) => {
  const t0 = process.hrtime.bigint();
  let n = 0, first, last;
  c.on('data', (d) => {
    let k = 0;
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) k++;
    if (k > 0) { last = process.hrtime.bigint(); first ??= last; n += k; }
  });
  c.on('end', () => {
    const ms = (a, b) => (b === undefined ? 0 : Number(b - a) / 1e6);
    process.stdout.write('got ' + n + ' ' + ms(t0, process.hrtime.bigint()) + ' ' + ms(first, last) + '\\n');
  });
});
s.listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'));
`;
// The baseline: the file's bytes in one write, then end.
const minimalSender = `
const net = require('net');
const data = require('fs').readFileSync(process.argv[1]);
const s = net.connect(Number(process.argv[2]), '127.0.0.1', () => s.end(data));
`;

const sink = spawn(process.execPath, ['-e', sinkCode], { stdio: ['ignore', 'pipe', 'inherit'] });
let sinkOut = '';
sink.stdout.on('data', (d) => (sinkOut += d));
const waitFor = async (re) => {
  while (!re.test(sinkOut)) await new Promise((r) => setTimeout(r, 5));
  const m = re.exec(sinkOut);
  sinkOut = sinkOut.slice(m.index + m[0].length);
  return m;
};
const port = (await waitFor(/port (\d+)\n/))[1];

/** Runs one sender process; returns its wall time, peak RSS and what the receiver measured. */
async function run(args) {
  const t0 = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('close', r));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr}`);
  const [, lines, connMs, spanMs] = await waitFor(/got (\d+) (\S+) (\S+)\n/);
  const rss = /maxrss_kb=(\d+)/.exec(stderr);
  return { stdout, wallMs, lines: Number(lines), connMs: Number(connMs), spanMs: Number(spanMs), rssMb: rss ? Number(rss[1]) / 1024 : NaN };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const work = mkdtempSync(join(tmpdir(), 'ctc-bench-simulate-'));
try {
  // The same bytes for both senders: FortiSIEM events carry no date, so --print gives what simulate sends.
  const file = join(work, 'events.txt');
  const printed = await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, 'simulate', 'fortisiem', '--print', '--count', String(total)], { stdio: ['ignore', 'pipe', 'ignore'] });
    const parts = [];
    p.stdout.on('data', (d) => parts.push(d));
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(parts)) : reject(new Error(`simulate --print exited ${code}`))));
  });
  writeFileSync(file, printed);
  const bytes = statSync(file).size;

  const simulateArgs = [cli, 'simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--count', String(total), '--json'];
  const minimalArgs = ['-e', minimalSender, file, port];
  await run(simulateArgs); // warm the file cache
  await run(minimalArgs);
  const sim = [];
  const min = [];
  for (let i = 0; i < runs; i++) {
    const s = await run(simulateArgs);
    const sent = JSON.parse(s.stdout);
    if (s.lines !== total || sent.bytes !== bytes) throw new Error(`simulate sent ${s.lines} lines / ${sent.bytes} bytes, expected ${total} / ${bytes}`);
    sim.push(s);
    const m = await run(minimalArgs);
    if (m.lines !== total) throw new Error(`the minimal sender delivered ${m.lines} lines`);
    min.push(m);
  }
  const perSecond = (xs) => median(xs.map((r) => total / (r.connMs / 1000)));
  console.log(`node ${process.version}; ${total} events (${(bytes / 1e6).toFixed(1)} MB) per run, ${runs} runs each, alternating; medians`);
  console.log('| sender | events/s (receiver) | process wall time | max RSS |');
  console.log('|---|---:|---:|---:|');
  for (const [name, xs] of [
    ['ctconnect simulate fortisiem', sim],
    ['minimal Node sender, same bytes', min],
  ]) {
    console.log(
      `| ${name} | ${Math.round(perSecond(xs))} | ${median(xs.map((r) => r.wallMs)).toFixed(0)} ms | ${median(xs.map((r) => r.rssMb)).toFixed(1)} MB |`,
    );
  }
  console.log(
    `simulate / minimal sender: ${((100 * perSecond(sim)) / perSecond(min)).toFixed(0)}% of the events/s; wall time ratio ${(median(sim.map((r) => r.wallMs)) / median(min.map((r) => r.wallMs))).toFixed(2)}`,
  );

  console.log('\npacing (one run each): first to last event as the receiver saw them, against (events - 1) / rate');
  console.log('| events | --rate | expected | measured | events/s |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const [count, rate] of [
    [2000, 1000],
    [500, 100],
    [20000, 10000],
  ]) {
    const r = await run([cli, 'simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--count', String(count), '--rate', String(rate), '--json']);
    if (r.lines !== count) throw new Error(`paced run delivered ${r.lines} of ${count}`);
    const expected = ((count - 1) / rate) * 1000;
    console.log(`| ${count} | ${rate} | ${expected.toFixed(0)} ms | ${r.spanMs.toFixed(0)} ms | ${((count - 1) / (r.spanMs / 1000)).toFixed(1)} |`);
  }
} finally {
  sink.kill();
  rmSync(work, { recursive: true, force: true });
}
