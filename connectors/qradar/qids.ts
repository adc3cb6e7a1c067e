/**
 * QID map entries: one per detection category of the site (titles from the site's categories, so
 * `ctconnect categories rename` changes them) and one per service alert. A QID map entry is keyed
 * by the LEEF header's EventID (first column) and the `cat` attribute (second column), as IBM's
 * "Predefined LEEF event attributes" page describes; creating one takes a name, a description, a
 * severity (1-10) and a low-level category
 * (https://www.ibm.com/docs/en/qsip/7.6.0?topic=overview-creating-qid-map-entry).
 */
import { type Site, categoriesOf, categoryList } from '../../src/connector/index.js';
import { ALERT_EVENT_ID, DETECTION_EVENT_ID, SERVICE_ALERTS } from './contract.js';
import type { QRadarOptions } from './options.js';

export type CategoryKind = 'url' | 'botnet' | 'ip' | 'hash' | 'other' | 'service';

/** Which low-level category a kind of detection takes, and why (for the bundle's documentation). */
export const KIND_NOTES: Record<CategoryKind, string> = {
  botnet: 'botnet command-and-control URLs and hashes (name contains "Botnet")',
  url: 'malicious, phishing, ransomware, APT and other URL categories (name contains "URL")',
  ip: 'IP reputation and other IP categories (name ends in "_IP" or contains "IP_Reputation")',
  hash: 'file hash categories (name contains "Hash")',
  other: 'custom and other categories that none of the rules above describes',
  service: 'service events of CyberTrace (KL_ALERT_…)',
};

/** The kind of a detection category, read from its name (Kaspersky's categories name what they hold). */
export function categoryKind(name: string): CategoryKind {
  if (/botnet/i.test(name)) return 'botnet';
  if (/hash/i.test(name)) return 'hash';
  if (/(^|_)IP($|_)|IP_Reputation/i.test(name)) return 'ip';
  if (/url/i.test(name)) return 'url';
  return 'other';
}

export interface QidEntry {
  kind: CategoryKind;
  /** LEEF EventID and cat of the events this entry maps. */
  eventId: string;
  category: string;
  name: string;
  description: string;
  severity: number;
  lowLevelCategoryId: number;
}

/** Low-level category IDs per kind with the schema defaults filled in (a site file may set only some). */
function lowLevel(o: QRadarOptions): Record<CategoryKind, number> {
  const l = o.low_level_categories ?? {};
  return { url: l.url ?? 7062, botnet: l.botnet ?? 7061, ip: l.ip ?? 7058, hash: l.hash ?? 6007, other: l.other ?? 7023, service: l.service ?? 8036 };
}

export function qidEntries(site: Site, o: QRadarOptions): QidEntry[] {
  const low = lowLevel(o);
  const detections = categoryList(categoriesOf(site)).map((c): QidEntry => {
    const kind = categoryKind(c.name);
    return {
      kind,
      eventId: DETECTION_EVENT_ID,
      category: c.name,
      name: c.title,
      description: `Kaspersky CyberTrace detection, category ${c.name}`,
      severity: o.category_severity?.[c.name] ?? o.detection_severity,
      lowLevelCategoryId: low[kind],
    };
  });
  const alerts = SERVICE_ALERTS.map((a): QidEntry => ({
    kind: 'service',
    eventId: ALERT_EVENT_ID,
    category: a,
    name: `CyberTrace service event ${a}`,
    description: `Kaspersky CyberTrace service event ${a}`,
    severity: o.service_severity,
    lowLevelCategoryId: low.service,
  }));
  return [...detections, ...alerts];
}
