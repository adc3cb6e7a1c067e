/**
 * Loads a CommonJS file that `npm run build` generated (the site validator, the templates) with
 * the V8 code cache the build saved beside it (`<file>.cache`). The cache is made after a run of
 * the code, so it holds the compiled functions too: a run neither compiles the file nor, on
 * first use, its functions (the validator is one function of some 200 KB). V8 refuses a cache
 * made by another Node version; then the file is compiled as `require` would.
 *
 * The build (scripts/bundle.mjs) runs the CLI with CTCONNECT_WRITE_CODE_CACHE=1, which writes
 * each cache when that run ends. Cache and file are only ever written together, by the build.
 * One file may have several caches, each made by a run of different code in it (`cache`): the
 * bundle of every command has one for the top-level help and one for the rest (launch.ts).
 */
import { isAscii } from 'node:buffer';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** A file's text: ASCII (every file the build bundles is) copied as it is, faster than decoding it as UTF-8. */
function sourceText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

export function requirePrecompiled(file: string, cache = `${file}.cache`): unknown {
  const writeCache = process.env.CTCONNECT_WRITE_CODE_CACHE === '1';
  const cachedData = !writeCache && existsSync(cache) ? readFileSync(cache) : undefined;
  const script = new Script(Module.wrap(sourceText(readFileSync(file))), { filename: file, cachedData });
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  if (writeCache) process.on('exit', () => writeFileSync(cache, script.createCachedData()));
  return module.exports;
}
