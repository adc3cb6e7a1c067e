/**
 * Builds a bundle in memory: the connector's files, the CyberTrace half, and the MANIFEST.
 * Nothing touches the disk here, so a failure in any connector leaves nothing half-written.
 */
import type { BundleFile, Connector, InstallStep } from '../../connectors/types.js';
import type { Site } from '../config/site.js';
import type { Renderer } from '../render/engine.js';
import { InternalError, UserError } from '../core/errors.js';
import { cybertraceFiles, cybertraceSteps } from '../cybertrace/bundle-files.js';
import { settingsProblems } from '../cybertrace/check.js';
import type { CyberTraceSettings } from '../cybertrace/types.js';
import { manifestFile } from './manifest.js';

export interface Bundle {
  connector: Connector;
  settings: CyberTraceSettings;
  /** Sorted by path, MANIFEST included. */
  files: BundleFile[];
  steps: InstallStep[];
}

export async function buildBundle(connector: Connector, site: Site, render: Renderer): Promise<Bundle> {
  if (!site.siems[connector.id]) {
    throw new UserError(`${site.source}: no "siems.${connector.id}" section: add one to generate the ${connector.title} bundle (see \`ctconnect init\` for an example)`);
  }
  const settings = connector.cybertrace(site);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new InternalError(`connector ${connector.id} produced inconsistent CyberTrace settings: ${problems.join('; ')}`);

  const files = [...(await connector.files(site, render)), ...cybertraceFiles(settings, site, connector.title)];
  const seen = new Set<string>();
  for (const f of files) {
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/.test(f.path) || f.path.includes('..') || f.path.endsWith('/')) {
      throw new InternalError(`connector ${connector.id}: bad bundle path "${f.path}"`);
    }
    if (seen.has(f.path)) throw new InternalError(`connector ${connector.id}: two files at "${f.path}"`);
    seen.add(f.path);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  files.push(manifestFile(connector, files));
  const steps = [...cybertraceSteps(site), ...connector.steps(site)];
  return { connector, settings, files, steps };
}
