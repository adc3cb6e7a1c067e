#!/usr/bin/env node
// Times `ctconnect generate --all` (built-in example site) as a whole process against bare
// `node -e 0` startup. Run with `npm run bench:generate` (builds first). Prints medians and the ratio.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const cli = join(import.meta.dirname, '..', 'bin', 'ctconnect.js');

function time(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const out = mkdtempSync(join(tmpdir(), 'ctconnect-bench-'));
try {
  time(['-e', '0']);
  time([cli, 'generate', '--all', '--out', out]); // warm the file cache
  const bare = [];
  const gen = [];
  for (let i = 0; i < runs; i++) {
    bare.push(time(['-e', '0']));
    gen.push(time([cli, 'generate', '--all', '--out', out]));
  }
  const mb = median(bare);
  const mg = median(gen);
  console.log(`runs: ${runs} each, node ${process.version}`);
  console.log(`| command | median ms | min ms | max ms |`);
  console.log(`|---|---|---|---|`);
  console.log(`| node -e 0 | ${mb.toFixed(1)} | ${Math.min(...bare).toFixed(1)} | ${Math.max(...bare).toFixed(1)} |`);
  console.log(`| ctconnect generate --all | ${mg.toFixed(1)} | ${Math.min(...gen).toFixed(1)} | ${Math.max(...gen).toFixed(1)} |`);
  console.log(`ratio generate/startup: ${(mg / mb).toFixed(2)}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
