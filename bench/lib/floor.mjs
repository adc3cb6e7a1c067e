// The floor of a command in bench/generate.mjs: a Node process doing only the command's own input and
// output — it reads the site file, then writes the files of a reference run of the command (read from
// that run's folder, as bytes) into the output folder, folders included, and prints the command's text.
// Usage: node bench/lib/floor.mjs <site file> [<reference folder> <output folder>] [--print <text file>]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const printAt = args.indexOf('--print');
const print = printAt >= 0 ? args.splice(printAt, 2)[1] : undefined;
const [site, from, to] = args;
readFileSync(site, 'utf8');
if (from && to) {
  const copy = (rel) => {
    mkdirSync(join(to, rel), { recursive: true });
    for (const e of readdirSync(join(from, rel), { withFileTypes: true })) {
      if (e.isDirectory()) copy(join(rel, e.name));
      else writeFileSync(join(to, rel, e.name), readFileSync(join(from, rel, e.name)));
    }
  };
  copy('');
}
if (print) process.stdout.write(readFileSync(print));
