/**
 * Preloaded with `node --import` by test/cli/loading.test.ts: appends to the file named by
 * CTCONNECT_LOAD_LOG every module file the process loads — ES modules as Node's loader hooks see
 * them (in the hooks' own thread, which is where this file runs a second time), CommonJS ones
 * from require.cache when the process exits.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const log = process.env.CTCONNECT_LOAD_LOG;

if (isMainThread && log) {
  register(import.meta.url, import.meta.url);
  const { cache } = createRequire(import.meta.url);
  process.on('exit', () =>
    appendFileSync(
      log,
      Object.keys(cache)
        .map((file) => `${file}\n`)
        .join(''),
    ),
  );
}

/** The loader hook (runs in the hooks thread). */
export async function load(url, context, nextLoad) {
  if (log && url.startsWith('file:')) appendFileSync(log, `${fileURLToPath(url)}\n`);
  return nextLoad(url, context);
}
