/**
 * Checks that span several fields (the schema checks one field at a time). Returns problems with
 * the path of the field to fix. Also fills in defaults that depend on other fields.
 */
import type { ConnectorSet } from '../connector/connector-set.js';
import { formatPath, type PathSegment } from './positions.js';
import { instanceProblems, instancesOf, serviceAlertNotes, serviceAlertsSiem, siteViewFor } from './instances.js';
import type { Site } from '../model/site.js';

export interface SiteCheck {
  path: PathSegment[];
  message: string;
  warning?: boolean;
  note?: boolean;
}

export function checkSite(site: Site, connectors: ConnectorSet): SiteCheck[] {
  const problems: SiteCheck[] = [];
  if (site.cybertrace && site.cybertraces) {
    problems.push({ path: ['cybertraces'], message: 'give either cybertrace: (one instance) or cybertraces: (a list), not both' });
    return problems;
  }
  if (!site.cybertrace && !site.cybertraces) {
    problems.push({ path: [], message: 'missing required key "cybertrace" (the CyberTrace instance; or "cybertraces", a list of them)' });
    return problems;
  }
  // Code that does not care about instances reads site.cybertrace: the first one.
  if (site.cybertraces) site.cybertrace = site.cybertraces[0]!;
  for (const { instance: ct, path } of instancesOf(site)) {
    if (ct.listen_address === undefined) {
      ct.listen_address = /^\d+\.\d+\.\d+\.\d+$/.test(ct.address) ? ct.address : '0.0.0.0';
    }
    if (ct.install_dir === undefined) {
      if (ct.platform === 'windows')
        problems.push({
          path: [...path, 'platform'],
          message: `platform "windows" needs ${formatPath([...path, 'install_dir'])} (the CyberTrace installation folder, e.g. C:\\CyberTrace)`,
        });
      else ct.install_dir = '/opt/kaspersky/ktfs';
    } else if (ct.platform === 'linux' && !ct.install_dir.startsWith('/')) {
      problems.push({ path: [...path, 'install_dir'], message: `must be an absolute Linux path for platform "linux" (got ${JSON.stringify(ct.install_dir)})` });
    } else if (ct.platform === 'windows' && ct.install_dir.startsWith('/')) {
      problems.push({
        path: [...path, 'install_dir'],
        message: `must be a Windows path such as C:\\CyberTrace for platform "windows" (got ${JSON.stringify(ct.install_dir)})`,
      });
    }
    if (site.cybertraces && ct.serves === undefined && ct.tenants === undefined) {
      problems.push({ path, message: 'missing required key "serves" (the SIEMs this instance serves), or "tenants" (each with its serves)' });
    }
    if (ct.input_port === ct.return_port) {
      problems.push({ path: [...path, 'return_port'], message: `must differ from ${formatPath([...path, 'input_port'])} (${ct.input_port})` });
    }
  }
  problems.push(...instanceProblems(site));
  if (!problems.some((p) => !p.warning)) {
    // Which SIEM gets the global service alerts of a 5.x CyberTrace is decided here, once, for every bundle.
    const sendsAlerts = (id: string): boolean => {
      const c = connectors.all().find((x) => x.id === id);
      try {
        return c !== undefined && c.cybertrace(siteViewFor(site, id)).output.alertFormat !== undefined;
      } catch {
        return true;
      }
    };
    problems.push(...serviceAlertNotes(site, sendsAlerts));
    for (const { instance } of instancesOf(site)) {
      if (instance.version === '5.x') instance.service_alerts ??= serviceAlertsSiem(site, instance, sendsAlerts);
    }
  }

  const kaspersky = new Set(site.categories.kaspersky);
  const customSeen = new Set<string>();
  site.categories.custom.forEach((c, i) => {
    if (kaspersky.has(c.name))
      problems.push({ path: ['categories', 'custom', i, 'name'], message: `"${c.name}" is already listed under categories.kaspersky` });
    if (customSeen.has(c.name.toLowerCase()))
      problems.push({
        path: ['categories', 'custom', i, 'name'],
        message: `"${c.name}" is listed twice (category names are compared case-insensitively by the SIEM parsers)`,
      });
    customSeen.add(c.name.toLowerCase());
  });

  const roles = new Set(connectors.roles());
  const names = new Set<string>();
  site.targets.forEach((t, i) => {
    if (names.has(t.name)) problems.push({ path: ['targets', i, 'name'], message: `target name "${t.name}" is used twice` });
    names.add(t.name);
    t.roles.forEach((r, j) => {
      if (!roles.has(r)) problems.push({ path: ['targets', i, 'roles', j], message: `unknown role "${r}"; roles are: ${[...roles].join(', ')}` });
    });
    // Which CyberTrace a host is decides which bundles' settings it gets: with several, a host must say.
    const instances = site.cybertraces?.map((c) => c.name) ?? [];
    if (t.cybertrace !== undefined && !t.roles.includes('cybertrace')) {
      problems.push({ path: ['targets', i, 'cybertrace'], message: 'names a CyberTrace instance, but the target has no role cybertrace' });
    } else if (t.roles.includes('cybertrace') && site.cybertraces) {
      if (t.cybertrace === undefined) {
        problems.push({
          path: ['targets', i, 'roles'],
          message: `with several CyberTrace instances, a target with role cybertrace names the one it is: add cybertrace: <${instances.join(' | ')}>`,
        });
      } else if (!instances.includes(t.cybertrace)) {
        problems.push({
          path: ['targets', i, 'cybertrace'],
          message: `no CyberTrace instance "${t.cybertrace}" under cybertraces: (instances: ${instances.join(', ')})`,
        });
      }
    } else if (t.cybertrace !== undefined && !site.cybertraces && t.cybertrace !== site.cybertrace?.name) {
      problems.push({
        path: ['targets', i, 'cybertrace'],
        message: `the site has one CyberTrace${site.cybertrace?.name ? ` ("${site.cybertrace.name}")` : ' (no name)'}: leave this out or name it`,
      });
    }
    if (t.sudo === 'password' && !t.sudo_password_env) {
      problems.push({
        path: ['targets', i, 'sudo'],
        message: 'sudo "password" needs sudo_password_env: the name of the environment variable that holds the sudo password',
      });
    }
  });

  for (const c of connectors.all()) {
    const opts = site.siems[c.id];
    if (opts && c.check) {
      for (const p of c.check(opts, siteViewFor(site, c.id))) problems.push({ path: ['siems', c.id, ...p.path], message: p.message });
    }
  }
  return problems;
}
