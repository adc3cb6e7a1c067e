#!/usr/bin/env node
// Start-up cost as whole processes, each against bare `node -e 0` measured in the same run,
// alternating (so a busy moment on the machine hits all of them alike): `ctconnect --help`,
// `ctconnect validate` and `ctconnect generate --all` on the built-in example site (six bundles
// and archives). The CLI runs as built: bundled in dist/cli/ (scripts/bundle.mjs).
// validate and generate --all are also set against their floors (bench/lib/floor.mjs): a Node process
// that reads the same site file and writes the same outputs (the files of a reference run, the same text).
// generate --all is measured twice, as users run it:
//  - a first run, into a new folder each time; its floor writes the same files into a new folder;
//  - a run over the last one (the same site: generate finds every file unchanged and keeps it); its
//    floor replaces the earlier output all-or-nothing (new files beside it, then two renames and the
//    removal of the earlier files), as generate did before it compared. A third floor row writes over
//    the earlier files in place, which no correct generate can do (it is shown for comparison, with
//    the ratio of the re-run against it).
// Creating a file costs far more than writing over one on some disks (0.1–0.3 ms a file and folder
// on this project's machines), which is why the floors differ as much as they do.
// Every process runs without NODE_EXTRA_CA_CERTS: with it, Node parses that CA bundle at start-up
// (some 75 ms for a 220 KB bundle), which most users' machines do not, and which would hide the ratios.
// Run with `npm run bench:generate` (builds first). Prints medians and the ratios.
// BENCH_COMPARE=<another ctconnect folder, built> runs the same commands of that build too, in the
// same rounds: on a shared machine, whose load moves every figure, the fair way to compare two builds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const load = loadavg()[0];
const builds = [{ label: 'ctconnect', cli: join(import.meta.dirname, '..', 'bin', 'ctconnect.js') }];
if (process.env.BENCH_COMPARE)
  builds.push({ label: `ctconnect (${process.env.BENCH_COMPARE})`, cli: join(resolve(process.env.BENCH_COMPARE), 'bin', 'ctconnect.js') });

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;

// With `perf` (linux-tools) each process's CPU time is counted too (task-clock, children included): on a
// busy machine wall times mostly measure the wait for a core, CPU times much less so.
const perf = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', 'true'], { stdio: 'ignore' }).status === 0;
let perfOut;

/** Runs one process; returns its wall time and (with perf) CPU time in ms. */
function time(args) {
  const argv = perf ? ['perf', 'stat', '-x,', '-e', 'task-clock', '-o', perfOut, process.execPath, ...args] : [process.execPath, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const cpu = perf ? Number(/^([\d.]+),msec,task-clock/m.exec(readFileSync(perfOut, 'utf8'))?.[1]) : NaN;
  return { ms, cpu };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const out = mkdtempSync(join(tmpdir(), 'ctconnect-bench-'));
perfOut = join(out, 'perf.txt');
const site = join(import.meta.dirname, '..', 'examples', 'site.yaml');
const floor = join(import.meta.dirname, 'lib', 'floor.mjs');
// The reference outputs the floors write: one run of each command.
const reference = join(out, 'reference');
const validateText = join(out, 'validate.txt');
spawnSync(process.execPath, [builds[0].cli, '--quiet', 'generate', '--all', '--out', reference], { stdio: 'ignore', env });
const v = spawnSync(process.execPath, [builds[0].cli, '--quiet', 'validate'], { encoding: 'utf8', env });
writeFileSync(validateText, `${v.stdout}${v.stderr}`);
// `args` of a case is a list, or a function of the run's number (a new output folder for each first run).
const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'floor of validate', args: [floor, site, '--print', validateText], floor: 'validate' },
  { name: 'floor of generate --all, first run', args: (i) => [floor, site, reference, join(out, 'floor-first', String(i))], floor: 'first' },
  { name: 'floor of generate --all, over the last run', args: [floor, site, reference, join(out, 'floor-again'), '--replace'], floor: 'again' },
  { name: 'floor of generate --all, in place (not all-or-nothing)', args: [floor, site, reference, join(out, 'floor-in-place')], floor: 'in place' },
];
for (const [b, build] of builds.entries()) {
  cases.push(
    { name: `${build.label} --help`, args: [build.cli, '--help'] },
    { name: `${build.label} validate`, args: [build.cli, '--quiet', 'validate'], against: ['validate'] },
    {
      name: `${build.label} generate --all, first run`,
      args: (i) => [build.cli, '--quiet', 'generate', '--all', '--out', join(out, `first-${b}`, String(i))],
      against: ['first'],
    },
    {
      name: `${build.label} generate --all, over the last run`,
      args: [build.cli, '--quiet', 'generate', '--all', '--out', join(out, `again-${b}`)],
      against: ['again', 'in place'],
    },
  );
}
const argsOf = (c, i) => (typeof c.args === 'function' ? c.args(i) : c.args);
try {
  for (const c of cases) time(argsOf(c, 'warm-up')); // warm the file cache
  for (const c of cases) {
    c.ms = [];
    c.cpu = [];
  }
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const t = time(argsOf(c, i));
      c.ms.push(t.ms);
      c.cpu.push(t.cpu);
    }
  }
  const [base] = cases;
  console.log(`runs: ${runs} each, alternating, node ${process.version}, without NODE_EXTRA_CA_CERTS, load ${load.toFixed(1)} at the start`);
  const cpuHead = perf ? ' CPU median ms | CPU ratio to node -e 0 | CPU ratio to its floor |' : '';
  console.log(`| command | median ms | min ms | max ms | ratio to node -e 0 | ratio to its floor |${cpuHead}`);
  console.log(`|---|---:|---:|---:|---:|---:|${perf ? '---:|---:|---:|' : ''}`);
  const ratio = (c, to, key) => (median(c[key]) / median(to[key])).toFixed(2);
  const ratios = (c, key) =>
    (c.against ?? [])
      .map((f) => cases.find((x) => x.floor === f))
      .map((f, n) => (n === 0 ? ratio(c, f, key) : `(${ratio(c, f, key)} ${f.floor})`))
      .join(' ');
  for (const c of cases) {
    const cpu = perf ? ` ${median(c.cpu).toFixed(1)} | ${ratio(c, base, 'cpu')} | ${ratios(c, 'cpu')} |` : '';
    console.log(
      `| ${c.name} | ${median(c.ms).toFixed(1)} | ${Math.min(...c.ms).toFixed(1)} | ${Math.max(...c.ms).toFixed(1)} | ${ratio(c, base, 'ms')} | ${ratios(c, 'ms')} |${cpu}`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
