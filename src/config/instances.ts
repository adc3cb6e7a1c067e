/**
 * CyberTrace instances and the SIEMs each serves. A CyberTrace 3.x/4.x has one OutputSettings,
 * so it can send detections in one SIEM's format only: patching it for a second SIEM silently
 * replaces the first one's settings. A 5.x instance (and a 4.x one with `Domains`) has tenants,
 * each with its own InputSettings and OutputSettings, so one SIEM per tenant. The site says which
 * instance and tenant serves which SIEM, and each bundle is built from a view of the site whose
 * `cybertrace` is the instance serving it (with that tenant's input port and name), so
 * connectors stay unaware of instances and tenants.
 */
import { formatPath, type PathSegment } from './positions.js';
import type { CyberTraceSite, Site, TenantSite } from '../model/site.js';

/** CyberTrace's default tenant; it cannot be renamed (CyberTrace help, "Tenants settings", page 200076). */
export const GENERAL_TENANT = 'General';

/** Tenant names CyberTrace Web accepts: 1 to 64 characters (help page 200076). */
export const TENANT_NAME_MAX = 64;

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

/** The SIEM ids an instance serves: its tenants' `serves`, its `serves`, or every SIEM of the site in the single form without one. */
export function servedBy(site: Site, instance: CyberTraceSite): string[] {
  if (instance.tenants) return instance.tenants.flatMap((t) => t.serves);
  return instance.serves ?? Object.keys(site.siems);
}

/** The tenant of `instance` that serves `siemId`, when the instance lists tenants. */
export function tenantOf(instance: CyberTraceSite, siemId: string): TenantSite | undefined {
  return instance.tenants?.find((t) => t.serves.includes(siemId));
}

/** Does this instance keep tenants in `Domains` (5.x always; 4.x when the site lists tenants)? */
export function hasTenants(instance: CyberTraceSite): boolean {
  return instance.version === '5.x' || instance.tenants !== undefined;
}

/**
 * The SIEM that gets the instance's service alerts. 5.x keeps them in the global
 * `NotificationSettings > ServiceAlertsSettings`, so one SIEM only: `service_alerts` of the site,
 * else the SIEM of the General tenant, else the first tenant's (those that send no service
 * alerts skipped). 3.x/4.x: the SIEM of the top-level OutputSettings (General), as 4.x tenants'
 * OutputSettings cannot hold AlertFormat (help 4.4, page 198822).
 */
export function serviceAlertsSiem(site: Site, instance: CyberTraceSite, sendsAlerts: (siemId: string) => boolean = () => true): string | undefined {
  if (instance.version === '5.x' && instance.service_alerts !== undefined) return instance.service_alerts;
  const served = servedBy(site, instance);
  if (!instance.tenants) return served.find(sendsAlerts);
  const general = instance.tenants.find((t) => t.name === GENERAL_TENANT);
  if (instance.version !== '5.x') return general?.serves.find(sendsAlerts);
  const ordered = general ? [general, ...instance.tenants.filter((t) => t !== general)] : instance.tenants;
  return ordered.flatMap((t) => t.serves).find(sendsAlerts);
}

/** The instance serving `siemId`; the single instance when the site has only one. */
export function cybertraceFor(site: Site, siemId: string): CyberTraceSite {
  if (!site.cybertraces) return site.cybertrace;
  return site.cybertraces.find((c) => servedBy(site, c).includes(siemId)) ?? site.cybertrace;
}

/**
 * The site as a connector sees it: `cybertrace` is the instance that serves this SIEM; with
 * tenants, its `input_port` is the tenant's and `tenant` names it.
 */
export function siteViewFor(site: Site, siemId: string): Site {
  const instance = cybertraceFor(site, siemId);
  if (!hasTenants(instance)) return instance === site.cybertrace ? site : { ...site, cybertrace: instance };
  const tenant = tenantOf(instance, siemId);
  const view: CyberTraceSite = {
    ...instance,
    input_port: tenant?.input_port ?? instance.input_port,
    tenant: { name: tenant?.name ?? GENERAL_TENANT, serviceAlerts: serviceAlertsSiem(site, instance) === siemId },
  };
  return { ...site, cybertrace: view };
}

export interface InstanceProblem {
  path: PathSegment[];
  message: string;
  /** Valid but probably a mistake: reported, not refused. */
  warning?: boolean;
  /** Valid and meant, but worth saying (who gets service alerts): neither refused nor a warning. */
  note?: boolean;
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
      if (!siems.includes(id))
        problems.push({
          path: [...ref.path, 'serves', j],
          message: `"${id}" is not configured under siems: (configured: ${siems.join(', ') || 'none'}); add siems.${id} or remove it here`,
        });
    });
    if (ref.instance.tenants) {
      problems.push(...tenantProblems(site, ref));
      return;
    }
    if (ref.instance.version === '5.x' && ref.instance.service_alerts !== undefined && !servedBy(site, ref.instance).includes(ref.instance.service_alerts)) {
      problems.push({
        path: [...ref.path, 'service_alerts'],
        message: `${ref.instance.service_alerts} is not served by this CyberTrace (it serves ${servedBy(site, ref.instance).join(', ')})`,
      });
    }
    const served = servedBy(site, ref.instance).filter((id) => siems.includes(id));
    if (served.length > 1) {
      const where = formatPath([...ref.path, 'serves']);
      const message =
        `${listing(served)} would ${served.length === 2 ? 'both' : 'all'} write the one OutputSettings of this CyberTrace ${ref.instance.version} (${ref.instance.address}): ` +
        `each patch replaces the previous SIEM's output format, and that SIEM's detections stop. ` +
        (ref.instance.serves
          ? `Keep one SIEM in ${where}, and describe the CyberTrace of each other SIEM as its own item of cybertraces: (name, address, serves)` +
            (ref.instance.version === '5.x' ? ", or list this CyberTrace's tenants (tenants: - name: General serves: [siem] …), one SIEM per tenant" : '')
          : ref.instance.version === '5.x'
            ? `List this CyberTrace's tenants instead, one SIEM per tenant: tenants: [{ name: General, serves: [${served[0]}] }, { name: <tenant created in CyberTrace Web>, serves: [${served[1]}] }]`
            : `Describe each SIEM's CyberTrace as an item of cybertraces: (name, address, serves: [siem]) instead of cybertrace:, or set cybertrace.serves: [${served[0]}] and remove the other SIEMs`);
      // The single form without `serves` is how earlier sites were written: say it, do not refuse it.
      problems.push({ path: ref.instance.serves ? [...ref.path, 'serves'] : ref.path, message, warning: !ref.instance.serves });
    }
  });
  for (const id of siems) {
    const serving = refs.filter((r) => servedBy(site, r.instance).includes(id));
    if (serving.length === 0) {
      const lists = refs.map((r) => `${label(r)} serves ${servedBy(site, r.instance).join(', ') || 'nothing'}`).join('; ');
      const where = refs.some((r) => r.instance.tenants) ? 'of the tenant (or instance)' : 'of the instance';
      problems.push({
        path: ['siems', id],
        message: `no CyberTrace instance serves ${id} (${lists}); add "${id}" to the serves: ${where} that receives its events`,
      });
    } else if (serving.length > 1) {
      problems.push({
        path: [...serving[1].path, 'serves'],
        message: `${id} is served by ${serving.map(label).join(' and ')}; a SIEM's events go to one CyberTrace: keep it in one serves: list`,
      });
    }
  }
  return problems;
}

/** Refusals of an instance that lists tenants, and the note saying who gets its service alerts. */
function tenantProblems(site: Site, ref: InstanceRef): InstanceProblem[] {
  const ct = ref.instance;
  const at = (...p: PathSegment[]): PathSegment[] => [...ref.path, ...p];
  const problems: InstanceProblem[] = [];
  if (ct.version === '3.x') {
    return [
      {
        path: at('tenants'),
        message: 'CyberTrace 3.x has no tenants: remove tenants: (and give serves:), or set version: "4.x" / "5.x" if this CyberTrace is newer',
      },
    ];
  }
  if (ct.serves)
    problems.push({
      path: at('serves'),
      message: 'with tenants:, each tenant says what it serves: move these SIEMs into the serves: of their tenants and remove this one',
    });
  if (ct.service_alerts !== undefined && ct.version !== '5.x') {
    problems.push({
      path: at('service_alerts'),
      message: `only CyberTrace 5.x has global service alerts; a ${ct.version} CyberTrace sends them with the General tenant's OutputSettings: remove this`,
    });
  }
  const siems = Object.keys(site.siems);
  const names = new Map<string, number>();
  const ports = new Map<number, number>();
  ct.tenants!.forEach((t, i) => {
    const length = [...t.name].length;
    if (length < 1 || length > TENANT_NAME_MAX) {
      problems.push({
        path: at('tenants', i, 'name'),
        message: `a tenant name is 1 to ${TENANT_NAME_MAX} characters in CyberTrace (got ${length}); use the name the tenant has in CyberTrace Web`,
      });
    } else if (names.has(t.name)) {
      problems.push({
        path: at('tenants', i, 'name'),
        message: `tenant "${t.name}" is listed twice (also item ${names.get(t.name)! + 1}); CyberTrace tenant names are unique`,
      });
    }
    names.set(t.name, i);
    t.serves.forEach((id, j) => {
      if (!siems.includes(id))
        problems.push({
          path: at('tenants', i, 'serves', j),
          message: `"${id}" is not configured under siems: (configured: ${siems.join(', ') || 'none'}); add siems.${id} or remove it here`,
        });
    });
    if (t.serves.length > 1) {
      problems.push({
        path: at('tenants', i, 'serves', 1),
        message:
          `tenant "${t.name}" already serves ${t.serves[0]}: one tenant has one OutputSettings, so ${t.serves.slice(1).join(' and ')} would replace ${t.serves[0]}'s output format. ` +
          'Create a tenant for each other SIEM in CyberTrace Web and list it here with its own serves:',
      });
    }
    const port = t.input_port ?? ct.input_port;
    const other = ports.get(port);
    if (other !== undefined) {
      const o = ct.tenants![other];
      problems.push({
        path: t.input_port !== undefined ? at('tenants', i, 'input_port') : at('tenants', i),
        message: `tenants "${o.name}" and "${t.name}" would both listen on port ${port}${t.input_port === undefined ? ` (${formatPath(at('input_port'))}, the default)` : ''}: give each tenant its own input_port`,
      });
    } else if (port === ct.return_port) {
      problems.push({
        path: t.input_port !== undefined ? at('tenants', i, 'input_port') : at('tenants', i),
        message: `port ${port} is ${formatPath(at('return_port'))}, where detections come back: give tenant "${t.name}" another input_port`,
      });
    }
    ports.set(port, i);
  });
  const served = servedBy(site, ct).filter((id) => siems.includes(id));
  if (ct.service_alerts !== undefined && ct.version === '5.x' && !served.includes(ct.service_alerts)) {
    problems.push({
      path: at('service_alerts'),
      message: `${ct.service_alerts} is served by no tenant of this CyberTrace (served: ${served.join(', ') || 'none'})`,
    });
  }
  return problems;
}

/**
 * Who gets the service alerts of each instance with tenants, and who does not: said by validate
 * (as a note, not a warning: several SIEMs on a 5.x CyberTrace is how it is meant to be used).
 */
export function serviceAlertNotes(site: Site, sendsAlerts: (siemId: string) => boolean): InstanceProblem[] {
  const notes: InstanceProblem[] = [];
  for (const ref of instancesOf(site)) {
    const ct = ref.instance;
    if (!ct.tenants) continue;
    const served = servedBy(site, ct).filter((id) => id in site.siems);
    if (served.length < 2) continue;
    const to = serviceAlertsSiem(site, ct, sendsAlerts);
    const without = served.filter((id) => id !== to);
    const why =
      ct.version === '5.x'
        ? 'service alerts are global in CyberTrace 5.x (NotificationSettings > ServiceAlertsSettings), so one SIEM receives them'
        : `a ${ct.version} tenant's OutputSettings cannot hold AlertFormat, so only the General tenant's SIEM receives them`;
    const choose = ct.version === '5.x' ? `; choose with ${formatPath([...ref.path, 'service_alerts'])}` : '';
    notes.push({
      path: ct.service_alerts !== undefined ? [...ref.path, 'service_alerts'] : [...ref.path, 'tenants'],
      message: `${label(ref)} sends its service alerts to ${to ?? 'no SIEM'}; ${listing(without)} will not get service alerts (${why})${choose}`,
      note: true,
    });
  }
  return notes;
}
