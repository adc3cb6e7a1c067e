// The floor of a command in bench/generate.mjs: a Node process doing only the command's own input and
// output — it reads the site file, then writes the files of a reference run of the command (read from
// that run's folder, as bytes) into the output folder, folders included, and prints the command's text.
// With --replace the output folder holds an earlier run, which is replaced all-or-nothing, the least a
// run may do that must never leave half a bundle: the new files are written beside it, the earlier
// folder is renamed away, the new one into its place, and the earlier one removed.
// Usage: node bench/lib/floor.mjs <site file> [<reference folder> <output folder> [--replace]] [--print <text file>]
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const printAt = args.indexOf('--print');
const print = printAt >= 0 ? args.splice(printAt, 2)[1] : undefined;
const replaceAt = args.indexOf('--replace');
const replace = replaceAt >= 0 && args.splice(replaceAt, 1).length > 0;
const [site, from, to] = args;
readFileSync(site, 'utf8');
if (from && to) {
  const into = replace ? `${to}.new` : to;
  const copy = (rel) => {
    mkdirSync(join(into, rel), { recursive: true });
    for (const e of readdirSync(join(from, rel), { withFileTypes: true })) {
      if (e.isDirectory()) copy(join(rel, e.name));
      else writeFileSync(join(into, rel, e.name), readFileSync(join(from, rel, e.name)));
    }
  };
  copy('');
  if (replace) {
    const had = existsSync(to);
    if (had) renameSync(to, `${to}.old`);
    renameSync(into, to);
    if (had) rmSync(`${to}.old`, { recursive: true });
  }
}
if (print) process.stdout.write(readFileSync(print));
