/**
 * Checks that span several fields (the schema checks one field at a time). Returns problems with
 * the path of the field to fix. Also fills in defaults that depend on other fields.
 */
import { allConnectors } from '../../connectors/registry.js';
import type { PathSegment } from './positions.js';
import type { Site } from './site.js';

export function checkSite(site: Site): Array<{ path: PathSegment[]; message: string }> {
  const problems: Array<{ path: PathSegment[]; message: string }> = [];
  const ct = site.cybertrace;
  if (ct.listen_address === undefined) {
    ct.listen_address = /^\d+\.\d+\.\d+\.\d+$/.test(ct.address) ? ct.address : '0.0.0.0';
  }
  if (ct.install_dir === undefined) {
    if (ct.platform === 'windows') problems.push({ path: ['cybertrace', 'platform'], message: 'platform "windows" needs cybertrace.install_dir (the CyberTrace installation folder, e.g. C:\\CyberTrace)' });
    else ct.install_dir = '/opt/kaspersky/ktfs';
  } else if (ct.platform === 'linux' && !ct.install_dir.startsWith('/')) {
    problems.push({ path: ['cybertrace', 'install_dir'], message: `must be an absolute Linux path for platform "linux" (got ${JSON.stringify(ct.install_dir)})` });
  } else if (ct.platform === 'windows' && ct.install_dir.startsWith('/')) {
    problems.push({ path: ['cybertrace', 'install_dir'], message: `must be a Windows path such as C:\\CyberTrace for platform "windows" (got ${JSON.stringify(ct.install_dir)})` });
  }
  if (ct.input_port === ct.return_port) {
    problems.push({ path: ['cybertrace', 'return_port'], message: `must differ from cybertrace.input_port (${ct.input_port})` });
  }

  const kaspersky = new Set(site.categories.kaspersky);
  const customSeen = new Set<string>();
  site.categories.custom.forEach((c, i) => {
    if (kaspersky.has(c.name)) problems.push({ path: ['categories', 'custom', i, 'name'], message: `"${c.name}" is already listed under categories.kaspersky` });
    if (customSeen.has(c.name.toLowerCase())) problems.push({ path: ['categories', 'custom', i, 'name'], message: `"${c.name}" is listed twice (category names are compared case-insensitively by the SIEM parsers)` });
    customSeen.add(c.name.toLowerCase());
  });

  const roles = new Set(['cybertrace', ...allConnectors().flatMap((c) => [c.id, ...(c.extraRoles ?? [])])]);
  const names = new Set<string>();
  site.targets.forEach((t, i) => {
    if (names.has(t.name)) problems.push({ path: ['targets', i, 'name'], message: `target name "${t.name}" is used twice` });
    names.add(t.name);
    t.roles.forEach((r, j) => {
      if (!roles.has(r)) problems.push({ path: ['targets', i, 'roles', j], message: `unknown role "${r}"; roles are: ${[...roles].join(', ')}` });
    });
    if (t.sudo === 'password' && !t.sudo_password_env) {
      problems.push({ path: ['targets', i, 'sudo'], message: 'sudo "password" needs sudo_password_env: the name of the environment variable that holds the sudo password' });
    }
  });

  for (const c of allConnectors()) {
    const opts = site.siems[c.id];
    if (opts && c.check) {
      for (const p of c.check(opts, site)) problems.push({ path: ['siems', c.id, ...p.path], message: p.message });
    }
  }
  return problems;
}
