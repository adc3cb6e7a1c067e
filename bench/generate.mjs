#!/usr/bin/env node
// Start-up cost as whole processes, each against bare `node -e 0` measured in the same run,
// alternating (so a busy moment on the machine hits all of them alike): `ctconnect --help`,
// `ctconnect validate` and `ctconnect generate --all` on the built-in example site (four bundles
// and archives). The CLI runs as built: bundled in dist/cli/ (scripts/bundle.mjs).
// Run with `npm run bench:generate` (builds first). Prints medians and the ratios.
// BENCH_COMPARE=<another ctconnect folder, built> runs the same commands of that build too, in the
// same rounds: on a shared machine, whose load moves every figure, the fair way to compare two builds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const builds = [{ label: 'ctconnect', cli: join(import.meta.dirname, '..', 'bin', 'ctconnect.js') }];
if (process.env.BENCH_COMPARE) builds.push({ label: `ctconnect (${process.env.BENCH_COMPARE})`, cli: join(resolve(process.env.BENCH_COMPARE), 'bin', 'ctconnect.js') });

function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const out = mkdtempSync(join(tmpdir(), 'ctconnect-bench-'));
const cases = [{ name: 'node -e 0', args: ['-e', '0'] }];
for (const [i, b] of builds.entries()) {
  cases.push(
    { name: `${b.label} --help`, args: [b.cli, '--help'] },
    { name: `${b.label} validate`, args: [b.cli, '--quiet', 'validate'] },
    { name: `${b.label} generate --all`, args: [b.cli, '--quiet', 'generate', '--all', '--force', '--out', join(out, String(i))] },
  );
}
try {
  for (const c of cases) time(c.args); // warm the file cache
  for (const c of cases) c.ms = [];
  for (let i = 0; i < runs; i++) for (const c of cases) c.ms.push(time(c.args));
  const base = median(cases[0].ms);
  console.log(`runs: ${runs} each, alternating, node ${process.version}`);
  console.log('| command | median ms | min ms | max ms | ratio to node -e 0 |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of cases) {
    console.log(`| ${c.name} | ${median(c.ms).toFixed(1)} | ${Math.min(...c.ms).toFixed(1)} | ${Math.max(...c.ms).toFixed(1)} | ${(median(c.ms) / base).toFixed(2)} |`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
