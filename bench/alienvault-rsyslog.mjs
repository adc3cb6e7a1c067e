#!/usr/bin/env node
// The AlienVault forwarding rule for many devices: for 100, 1,000 and 10,000 forwarded devices,
// the time to load the site file (schema + checks) and to build the whole bundle, the size of
// the rsyslog forwarding block, and whether `rsyslogd -N1` still accepts it (and how long it
// takes). Then, as whole processes, alternating: `ctconnect generate alienvault` on a site with
// 100,000 forwarded devices against the same command on the site `ctconnect init` writes, with
// medians and the peak RSS (GNU time). Run with `npm run bench:alienvault` (builds first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = join(import.meta.dirname, '..', 'dist');
const { parseSite } = await import(join(dist, 'src', 'config', 'load.js'));
const { getConnector, registry } = await import(join(dist, 'connectors', 'registry.js'));
const { buildBundle } = await import(join(dist, 'src', 'bundle', 'build.js'));
const { createRenderer } = await import(join(dist, 'src', 'render', 'engine.js'));

const runs = Number(process.env.BENCH_RUNS ?? 5);
const cli = join(import.meta.dirname, '..', 'bin', 'ctconnect.js');
const bigDevices = Number(process.env.BENCH_BIG_DEVICES ?? 100000);
const sizes = (process.env.BENCH_DEVICES ?? '100,1000,10000').split(',').map(Number);

/** A site file with `n` devices at distinct addresses in 10.0.0.0/8. */
function siteText(n) {
  const devices = [];
  for (let i = 0; i < n; i++) devices.push(`      - ip: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) + 0}`);
  return `name: bench\ncybertrace:\n  address: 192.0.2.10\nsiems:\n  alienvault:\n    address: 192.0.2.20\n    devices:\n${devices.join('\n')}\n`;
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'ctconnect-bench-rsyslog-'));
const rows = [];
try {
  const connector = getConnector('alienvault');
  const render = createRenderer();
  for (const n of sizes) {
    const text = siteText(n);
    const load = [];
    const build = [];
    let bundle;
    for (let r = 0; r < runs; r++) {
      let t0 = process.hrtime.bigint();
      const site = parseSite(text, `bench-${n}.yaml`, registry);
      load.push(ms(t0));
      t0 = process.hrtime.bigint();
      bundle = await buildBundle(connector, site, render);
      build.push(ms(t0));
    }
    const block = bundle.files.find((f) => f.path === 'alienvault/rsyslog-forward.conf').content;
    const inbound = bundle.files.find((f) => f.path === 'alienvault/rsyslog-inbound.conf').content;
    const conf = join(dir, `rsyslog-${n}.conf`);
    writeFileSync(conf, `global(workDirectory="${dir}")\nmodule(load="imtcp")\ninput(type="imtcp" port="10514" address="127.0.0.1")\n${block}${inbound}`);
    const t0 = process.hrtime.bigint();
    const check = spawnSync('rsyslogd', ['-N1', '-f', conf], { encoding: 'utf8' });
    const checkMs = ms(t0);
    if (check.error) throw check.error;
    rows.push({
      devices: n,
      load: median(load),
      build: median(build),
      bytes: Buffer.byteLength(block),
      lines: block.split('\n').length - 1,
      ifs: (block.match(/^if /gm) ?? []).length,
      check: check.status === 0 ? 'pass' : `FAIL (${check.status}): ${(check.stderr || check.stdout).trim().split('\n').pop()}`,
      checkMs,
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** One whole process under GNU time: wall milliseconds and peak RSS in MiB. */
function measured(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8' });
  const wall = ms(t0);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  return { wall, rssMiB: kb / 1024 };
}

// The large site as a whole process against the init site, alternating.
const procDir = mkdtempSync(join(tmpdir(), 'ctconnect-bench-big-'));
const procRows = [];
try {
  const initSite = join(procDir, 'init-site.yaml');
  const init = spawnSync(process.execPath, [cli, 'init', initSite], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`init: ${init.stderr}`);
  const bigSite = join(procDir, 'big-site.yaml');
  writeFileSync(bigSite, siteText(bigDevices));
  const cases = [
    { name: '`init` site', site: initSite, runs: [] },
    { name: `${bigDevices.toLocaleString('en-US')} forwarded devices`, site: bigSite, runs: [] },
  ];
  const args = (c) => [cli, '--quiet', 'generate', 'alienvault', '--config', c.site, '--force', '--out', join(procDir, 'out')];
  for (const c of cases) measured(args(c)); // warm the file cache
  for (let r = 0; r < runs; r++) for (const c of cases) c.runs.push(measured(args(c)));
  const base = median(cases[0].runs.map((x) => x.wall));
  for (const c of cases) {
    const wall = median(c.runs.map((x) => x.wall));
    procRows.push({ name: c.name, wall, ratio: wall / base, rss: Math.max(...c.runs.map((x) => x.rssMiB)) });
  }
} finally {
  rmSync(procDir, { recursive: true, force: true });
}

console.log(`node ${process.version}, ${runs} runs each (medians)`);
console.log('| devices | load site ms | build bundle ms | rsyslog block bytes | lines | if blocks | rsyslogd -N1 | -N1 ms |');
console.log('|---:|---:|---:|---:|---:|---:|---|---:|');
for (const r of rows) {
  console.log(`| ${r.devices} | ${r.load.toFixed(1)} | ${r.build.toFixed(1)} | ${r.bytes} | ${r.lines} | ${r.ifs} | ${r.check} | ${r.checkMs.toFixed(0)} |`);
}
if (rows.some((r) => r.check !== 'pass')) process.exitCode = 1;
console.log('');
console.log('| `ctconnect generate alienvault` on | median ms | ratio to the `init` site | peak RSS MiB |');
console.log('|---|---:|---:|---:|');
for (const r of procRows) console.log(`| ${r.name} | ${r.wall.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.rss.toFixed(1)} |`);
