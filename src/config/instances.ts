/**
 * CyberTrace instances and the SIEMs each serves. A CyberTrace 3.x/4.x has one OutputSettings,
 * so it can send detections in one SIEM's format only: patching it for a second SIEM silently
 * replaces the first one's settings. The site says which instance serves which SIEM, and each
 * bundle is built from a view of the site whose `cybertrace` is the instance serving it, so
 * connectors stay unaware of instances.
 */
import { formatPath, type PathSegment } from './positions.js';
import type { CyberTraceSite, Site } from '../model/site.js';

export interface InstanceRef {
  instance: CyberTraceSite;
  /** Where it is in the site file: ['cybertrace'] or ['cybertraces', i]. */
  path: PathSegment[];
}

/** Every instance the site describes, with its place in the file. */
export function instancesOf(site: Site): InstanceRef[] {
  if (site.cybertraces) return site.cybertraces.map((instance, i) => ({ instance, path: ['cybertraces', i] }));
  return [{ instance: site.cybertrace, path: ['cybertrace'] }];
}

/** The SIEM ids an instance serves: its `serves`, or every SIEM of the site in the single form without one. */
export function servedBy(site: Site, instance: CyberTraceSite): string[] {
  return instance.serves ?? Object.keys(site.siems);
}

/** The instance serving `siemId`; the single instance when the site has only one. */
export function cybertraceFor(site: Site, siemId: string): CyberTraceSite {
  if (!site.cybertraces) return site.cybertrace;
  return site.cybertraces.find((c) => servedBy(site, c).includes(siemId)) ?? site.cybertrace;
}

/** The site as a connector sees it: `cybertrace` is the instance that serves this SIEM. */
export function siteViewFor(site: Site, siemId: string): Site {
  const instance = cybertraceFor(site, siemId);
  return instance === site.cybertrace ? site : { ...site, cybertrace: instance };
}

export interface InstanceProblem {
  path: PathSegment[];
  message: string;
  /** Valid but probably a mistake: reported, not refused. */
  warning?: boolean;
}

/** "a", "a and b", "a, b and c". */
const listing = (items: string[]): string => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

const label = (ref: InstanceRef): string => (ref.instance.name ? `CyberTrace "${ref.instance.name}"` : 'CyberTrace');

/** Every configured SIEM served by exactly one instance, and no 3.x/4.x instance serving two. */
export function instanceProblems(site: Site): InstanceProblem[] {
  const problems: InstanceProblem[] = [];
  const refs = instancesOf(site);
  const siems = Object.keys(site.siems);
  const names = new Map<string, number>();
  refs.forEach((ref, i) => {
    const name = ref.instance.name;
    if (name !== undefined && names.has(name)) problems.push({ path: [...ref.path, 'name'], message: `instance name "${name}" is used twice` });
    if (name !== undefined) names.set(name, i);
    (ref.instance.serves ?? []).forEach((id, j) => {
      if (!siems.includes(id)) problems.push({ path: [...ref.path, 'serves', j], message: `"${id}" is not configured under siems: (configured: ${siems.join(', ') || 'none'}); add siems.${id} or remove it here` });
    });
    const served = servedBy(site, ref.instance).filter((id) => siems.includes(id));
    if (served.length > 1) {
      const where = formatPath([...ref.path, 'serves']);
      const message =
        `${listing(served)} would ${served.length === 2 ? 'both' : 'all'} write the one OutputSettings of this CyberTrace ${ref.instance.version} (${ref.instance.address}): ` +
        `each patch replaces the previous SIEM's output format, and that SIEM's detections stop. ` +
        (ref.instance.serves
          ? `Keep one SIEM in ${where}, and describe the CyberTrace of each other SIEM as its own item of cybertraces: (name, address, serves)`
          : `Describe each SIEM's CyberTrace as an item of cybertraces: (name, address, serves: [siem]) instead of cybertrace:, or set cybertrace.serves: [${served[0]}] and remove the other SIEMs`);
      // The single form without `serves` is how earlier sites were written: say it, do not refuse it.
      problems.push({ path: ref.instance.serves ? [...ref.path, 'serves'] : ref.path, message, warning: !ref.instance.serves });
    }
  });
  for (const id of siems) {
    const serving = refs.filter((r) => servedBy(site, r.instance).includes(id));
    if (serving.length === 0) {
      const lists = refs.map((r) => `${label(r)} serves ${(r.instance.serves ?? []).join(', ')}`).join('; ');
      problems.push({ path: ['siems', id], message: `no CyberTrace instance serves ${id} (${lists}); add "${id}" to the serves: of the instance that receives its events` });
    } else if (serving.length > 1) {
      problems.push({ path: [...serving[1].path, 'serves'], message: `${id} is served by ${serving.map(label).join(' and ')}; a SIEM's events go to one CyberTrace: keep it in one serves: list` });
    }
  }
  return problems;
}
