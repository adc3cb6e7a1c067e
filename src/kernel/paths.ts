/** Locations of the files shipped with the package (templates, example site), wherever it is installed. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from './errors.js';

/** The package root: the folder holding package.json, found from this file whether run from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    dir = dirname(dir);
  }
  throw new InternalError('ctconnect: cannot find the package root (templates/ folder)');
}

export const templatesDir = (): string => join(packageRoot(), 'templates');
export const exampleSitePath = (): string => join(packageRoot(), 'examples', 'site.yaml');
