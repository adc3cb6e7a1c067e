/**
 * The CyberTrace half of every bundle: the settings sheet, the XML fragment, and (for deploy)
 * how kl_feed_service.conf is patched on the CyberTrace host and the service restarted.
 * The same for every connector, so it lives here and not in connectors/.
 */
import type { BundleFile, InstallStep } from '../model/bundle.js';
import type { Site } from '../model/site.js';
import { settingsToSheet, settingsToXmlFragment } from './fragment.js';
import type { CyberTraceSettings } from '../model/cybertrace.js';

export const CYBERTRACE_RESTART_STEP = 'restart';

/** kl_feed_service.conf on the CyberTrace host (Kaspersky CyberTrace Help). */
export function feedServiceConfigPath(site: Site): string {
  const dir = site.cybertrace.install_dir;
  return site.cybertrace.platform === 'windows'
    ? `${dir.replace(/[\\/]+$/, '')}\\bin\\kl_feed_service.conf`
    : `${dir.replace(/\/+$/, '')}/etc/kl_feed_service.conf`;
}

export function feedServiceRestartCommand(site: Site): string {
  const dir = site.cybertrace.install_dir;
  return site.cybertrace.platform === 'windows'
    ? `${dir.replace(/[\\/]+$/, '')}\\bin\\kl_control.bat restart`
    : `${dir.replace(/\/+$/, '')}/etc/init.d/kl_feed_service restart`;
}

export function cybertraceFiles(settings: CyberTraceSettings, site: Site, siemTitle: string): BundleFile[] {
  const fragment: BundleFile = {
    path: 'cybertrace/kl_feed_service.fragment.xml',
    content: settingsToXmlFragment(settings),
    mode: 0o644,
  };
  // Only Linux hosts are reachable by the SSH deployer; on Windows the sheet and fragment are applied by hand.
  if (site.cybertrace.platform === 'linux') {
    fragment.install = {
      role: 'cybertrace',
      path: feedServiceConfigPath(site),
      mode: 0o644,
      merge: { kind: 'cybertrace-settings', settings },
      notify: [CYBERTRACE_RESTART_STEP],
    };
  }
  return [fragment, { path: 'cybertrace/SETTINGS.md', content: settingsToSheet(settings, `CyberTrace settings for ${siemTitle}`), mode: 0o644 }];
}

export function cybertraceSteps(site: Site): InstallStep[] {
  if (site.cybertrace.platform !== 'linux') return [];
  return [
    {
      id: CYBERTRACE_RESTART_STEP,
      role: 'cybertrace',
      description: 'restart the CyberTrace Feed Service so it reads the new settings',
      command: feedServiceRestartCommand(site),
      timeoutSec: 120,
      when: 'changed',
    },
  ];
}
