#!/usr/bin/env node
// Large sites: `ctconnect validate` and `ctconnect generate alienvault` as whole processes on sites with
// 1,000, 10,000, 100,000 and 1,000,000 forwarded AlienVault devices, each in two sites: the one
// `ctconnect init` writes (every SIEM, and a warning, which needs a position) with its device list
// replaced, and a minimal site (AlienVault only). Wall time, CPU time (user + system) and peak RSS by
// GNU time; medians; the init site's ratio to the minimal one, and the growth from each size to the next.
// Run with `npm run build && node bench/large-site.mjs`; BENCH_DEVICES=1000,10000 picks the sizes,
// BENCH_RUNS the runs per size up to 100,000 (1,000,000: one run).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'ctconnect.js');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const sizes = (process.env.BENCH_DEVICES ?? '1000,10000,100000,1000000').split(',').map(Number);
const INIT = readFileSync(join(root, 'examples', 'site.yaml'), 'utf8');
const load = loadavg()[0];

function deviceLines(n) {
  const lines = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = `      - ip: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n`;
  return lines.join('');
}

/** Wall ms, CPU ms and peak RSS (MiB) of one process under GNU time. */
function measured(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S rss %M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const m = /cpu ([\d.]+) ([\d.]+) rss (\d+)/.exec(r.stderr);
  return { wall, cpu: (Number(m[1]) + Number(m[2])) * 1000, rss: Number(m[3]) / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'ctconnect-bench-large-'));
const rows = [];
try {
  for (const n of sizes) {
    const devices = deviceLines(n);
    const sites = {
      minimal: `name: bench\ncybertrace:\n  address: 192.0.2.10\nsiems:\n  alienvault:\n    address: 192.0.2.20\n    devices:\n${devices}`,
      init: INIT.replace(/^( {4}devices:.*\n)(?: {6}- ip: .*\n {8}name: .*\n)+/m, `$1${devices}`),
    };
    if (sites.init === INIT) throw new Error('the init site has no device list to replace');
    for (const [kind, text] of Object.entries(sites)) writeFileSync(join(dir, `${kind}.yaml`), text);
    const commands = {
      validate: (kind) => [cli, '--quiet', 'validate', '--config', join(dir, `${kind}.yaml`)],
      // A new folder each run: over the last run's output, generate would find the bundle unchanged and write nothing.
      'generate alienvault': (kind, r) => [
        cli,
        '--quiet',
        'generate',
        'alienvault',
        '--config',
        join(dir, `${kind}.yaml`),
        '--out',
        join(dir, `out-${kind}-${r}`),
      ],
    };
    for (const [command, args] of Object.entries(commands)) {
      const got = { minimal: [], init: [] };
      const times = n >= 1_000_000 ? 1 : runs;
      for (let r = 0; r < times; r++) for (const kind of ['minimal', 'init']) got[kind].push(measured(args(kind, r)));
      const pick = (kind) => ({
        wall: median(got[kind].map((x) => x.wall)),
        cpu: median(got[kind].map((x) => x.cpu)),
        rss: Math.max(...got[kind].map((x) => x.rss)),
      });
      rows.push({ n, command, minimal: pick('minimal'), init: pick('init') });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`node ${process.version}, medians of ${runs} runs (1,000,000 devices: 1 run), load ${load.toFixed(1)} at the start`);
console.log(
  '| devices | command | minimal site: wall / CPU / peak RSS | init site: wall / CPU / peak RSS | init ÷ minimal (wall, CPU) | growth from the size before (init site, CPU) |',
);
console.log('|---:|---|---:|---:|---:|---:|');
const fmt = (x) => `${x.wall.toFixed(0)} ms / ${x.cpu.toFixed(0)} ms / ${x.rss.toFixed(0)} MiB`;
for (const r of rows) {
  const before = rows.find((x) => x.command === r.command && x.n === sizes[sizes.indexOf(r.n) - 1]);
  console.log(
    `| ${r.n.toLocaleString('en-US')} | ${r.command} | ${fmt(r.minimal)} | ${fmt(r.init)} | ${(r.init.wall / r.minimal.wall).toFixed(2)}, ${(r.init.cpu / r.minimal.cpu).toFixed(2)} | ${before ? `${(r.init.cpu / before.init.cpu).toFixed(2)}×` : ''} |`,
  );
}
