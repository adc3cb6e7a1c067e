/**
 * Builds a bundle in memory: the connector's files, the CyberTrace half, and the MANIFEST.
 * Nothing touches the disk here, so a failure in any connector leaves nothing half-written.
 */
import type { Connector } from '../connector/contract.js';
import type { BundleFile, InstallStep } from '../model/bundle.js';
import type { Site } from '../model/site.js';
import { cybertraceFor, GENERAL_TENANT, instancesOf, siteViewFor } from '../config/instances.js';
import { formatPath } from '../config/positions.js';
import type { Renderer } from '../render/engine.js';
import { configOptionFor } from '../config/load.js';
import { InternalError, UserError } from '../kernel/errors.js';
import { cybertraceFiles, cybertraceSteps } from '../cybertrace/bundle-files.js';
import { settingsProblems } from '../cybertrace/check.js';
import type { CyberTraceSettings } from '../model/cybertrace.js';
import { manifestFile, type BundleOrigin } from './manifest.js';

export interface Bundle {
  connector: Connector;
  settings: CyberTraceSettings;
  /** Sorted by path, MANIFEST included. */
  files: BundleFile[];
  steps: InstallStep[];
  /** The name of the CyberTrace instance this bundle's settings are for (sites with `cybertraces:`). */
  cybertraceInstance?: string;
}

export interface BuildOptions {
  /** Let `cybertrace patch`/deploy switch a CyberTrace that serves another SIEM to this one. */
  allowSiemSwitch?: boolean;
  /**
   * Built only to be checked (`validate`): every file is rendered, but neither the MANIFEST (the
   * checksums of those files) nor archives of them are made. Such a bundle is never written.
   */
  checkOnly?: boolean;
}

/** Where a site came from, as the MANIFEST records it. */
export function originOf(site: Site): BundleOrigin {
  return { name: site.name, file: site.file ?? site.source };
}

/**
 * The site as a connector sees it: `cybertrace` is the instance serving this SIEM, and
 * `configOption` is what commands printed in INSTALL.md add so they use the same site file.
 */
export function connectorSite(site: Site, siemId: string): Site {
  const view = siteViewFor(site, siemId);
  return { ...view, configOption: configOptionFor(site.file) };
}

/** The CyberTrace settings of one connector for this site, saying which SIEM and site they serve. */
export function settingsFor(connector: Connector, site: Site, opts: BuildOptions = {}): CyberTraceSettings {
  const view = connectorSite(site, connector.id);
  const settings = connector.cybertrace(view);
  const instance = cybertraceFor(site, connector.id);
  const ref = instancesOf(site).find((r) => r.instance === instance);
  const tenant = view.cybertrace.tenant;
  // 4.x with tenants: the General tenant is the top-level settings (help 4.4, pages 198830/198889).
  const inDomain = tenant !== undefined && (instance.version === '5.x' || tenant.name !== GENERAL_TENANT);
  return {
    ...settings,
    // The connector's formats are the same in every version; a 5.x site gets them in its 5.x places.
    ...(instance.version === '5.x' ? { versions: ['5.x'] } : {}),
    serves: { siem: connector.id, site: site.name, ...(opts.allowSiemSwitch ? { allowSwitch: true } : {}) },
    target: {
      version: instance.version,
      ...(inDomain ? { tenant: tenant.name } : {}),
      serviceAlerts: tenant?.serviceAlerts ?? true,
      sitePath: formatPath(ref?.path ?? ['cybertrace']),
    },
  };
}

export async function buildBundle(connector: Connector, fullSite: Site, render: Renderer, opts: BuildOptions = {}): Promise<Bundle> {
  if (!fullSite.siems[connector.id]) {
    throw new UserError(
      `${fullSite.source}: no "siems.${connector.id}" section: add one to generate the ${connector.title} bundle (see \`ctconnect init\` for an example)`,
    );
  }
  const site = connectorSite(fullSite, connector.id);
  const settings = settingsFor(connector, fullSite, opts);
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new InternalError(`connector ${connector.id} produced inconsistent CyberTrace settings: ${problems.join('; ')}`);

  const files = [...(await connector.files({ site, settings, render, checkOnly: opts.checkOnly })), ...cybertraceFiles(settings, site, connector.title)];
  const seen = new Set<string>();
  for (const f of files) {
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/.test(f.path) || f.path.includes('..') || f.path.endsWith('/')) {
      throw new InternalError(`connector ${connector.id}: bad bundle path "${f.path}"`);
    }
    if (seen.has(f.path)) throw new InternalError(`connector ${connector.id}: two files at "${f.path}"`);
    seen.add(f.path);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (!opts.checkOnly) files.push(manifestFile(connector, files, originOf(fullSite)));
  const steps = [...cybertraceSteps(site), ...connector.steps(site)];
  // Only a site with several instances routes settings by instance; a single one serves every target.
  return { connector, settings, files, steps, cybertraceInstance: fullSite.cybertraces ? site.cybertrace.name : undefined };
}
