/**
 * The layers are a rule of the linter (eslint.config.mjs): an import that runs up a floor, or a
 * connector reaching past the front door, fails `npm run lint`. Checked on real files of the tree
 * with one forbidden import added, so a change to the configuration that lets them through fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// typescript-eslint reads files from disk in its "single run" mode (assumed when CI=true); the
// files linted here are edited in memory.
process.env.TSESTREE_SINGLE_RUN = 'false';
// The repository's root, whatever the working folder.
const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function importErrors(file: string, extraImport: string): Promise<string[]> {
  const text = `${extraImport}\n${readFileSync(join(root, file), 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['a connector past the front door', 'connectors/fortisiem/wire.ts', "import { loadSite } from '../../src/config/load.js';"],
    ['a connector into a feature', 'connectors/kuma/check.ts', "import { verify } from '../../src/verify/verify.js';"],
    ['the kernel into the model', 'src/kernel/text.ts', "import type { Site } from '../model/site.js';"],
    ['the model into the domain', 'src/model/site.ts', "import { escapers } from '../render/escape.js';"],
    ['the domain into the connector API', 'src/cybertrace/settings.ts', "import type { Connector } from '../connector/contract.js';"],
    ['a feature into the CLI', 'src/deploy/work.ts', "import { action } from '../cli/run.js';"],
    ['src/ into the connectors', 'src/bundle/build.ts', "import { registry } from '../../connectors/registry.js';"],
  ])(
    'refuses %s',
    async (_what, file, line) => {
      expect(await importErrors(file, line)).toHaveLength(1);
    },
    60_000,
  );

  it.each([
    [
      'a connector through the front door and the kernel',
      'connectors/fortisiem/wire.ts',
      "import { UserError } from '../../src/kernel/errors.js';\nimport type { Site } from '../../src/connector/index.js';",
    ],
    ['a feature into the domain and the connector API', 'src/deploy/work.ts', "import type { ConnectorSet } from '../connector/connector-set.js';"],
  ])(
    'lets %s through',
    async (_what, file, line) => {
      expect(await importErrors(file, line)).toEqual([]);
    },
    60_000,
  );
});
