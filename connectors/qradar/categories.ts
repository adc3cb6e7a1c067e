/**
 * What the site's categories mean for QRadar: one QID map entry each (qids.ts). `ctconnect
 * categories` shows them, keeps `category_severity` valid when a category goes or is renamed in
 * case, and says what to do in QRadar afterwards; the QID entries themselves live in QRadar, so
 * nothing outside the site file changes here.
 */
import type { CategoryEdit, CategoryEditSession, ConnectorCategories, Site } from '../../src/connector/index.js';
import { categoriesOf, findCategory, shellArg } from '../../src/connector/index.js';
import type { QRadarOptions } from './options.js';
import { qidEntries } from './qids.js';

const optionsOf = (site: Site) => site.siems.qradar as QRadarOptions | undefined;

/** `category_severity` with only the categories the site still has (names as the site spells them). */
function keptSeverities(after: Site, severities: Record<string, number>): Record<string, number> {
  const cats = categoriesOf(after);
  const out: Record<string, number> = {};
  for (const [name, sev] of Object.entries(severities)) {
    const found = findCategory(cats, name);
    if (found) out[found.name] = sev;
  }
  return out;
}

class QRadarEdit implements CategoryEditSession {
  private edit: CategoryEdit | undefined;
  constructor(private readonly site: Site) {}

  follow(before: Site, after: Site, edit: CategoryEdit): { options: Record<string, unknown>; summary: string[] } {
    this.edit = edit;
    const o = optionsOf(before);
    if (!o) return { options: {}, summary: [] };
    const severities = o.category_severity ?? {};
    const kept = keptSeverities(after, severities);
    const dropped = Object.keys(severities).filter((n) => !(n in kept));
    if (dropped.length === 0) return { options: {}, summary: [] };
    return {
      options: { category_severity: Object.keys(kept).length > 0 ? kept : undefined },
      summary: [`qradar: drop category_severity of ${dropped.map((d) => `"${d}"`).join(', ')} (no longer a category of the site)`],
    };
  }

  review(): string[] {
    return [];
  }

  outsideChanges(): boolean {
    return false;
  }

  prepare(): string[] {
    return [];
  }

  commit(): Promise<string[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  nextSteps(siteFile: string, siteChanged: boolean): string[] {
    if (!siteChanged || !optionsOf(this.site) || !this.edit) return [];
    const e = this.edit;
    const lines = [`QRadar: ctconnect generate qradar --config ${shellArg(siteFile)}, then in QRadar:`];
    if (e.kind === 'rename')
      lines.push(`    rename the QID of EventID Detection / category ${e.category} to ${JSON.stringify(e.title)} (DSM Editor, Universal LEEF, Event Mappings)`);
    else if (e.kind === 'add')
      lines.push(
        `    create the QID of ${e.category}: its line of qradar/qidmap.sh, or its entries of qradar/rest/qid_records.json and dsm_event_mappings.json`,
      );
    else if (e.kind === 'remove') lines.push(`    the QID of ${e.category} may stay: no event carries the category any more`);
    else lines.push('    compare qradar/qid-map.md with the Event Mappings of Universal LEEF and create or rename the QIDs that differ');
    return lines;
  }
}

export const qradarCategories: ConnectorCategories = {
  describe(site) {
    const o = optionsOf(site);
    if (!o) return { lines: [], json: {} };
    const qids = qidEntries(site, o).filter((q) => q.kind !== 'service');
    const w = Math.max('CATEGORY'.length, ...qids.map((q) => q.category.length));
    return {
      lines: [
        'QRadar: QID map entries (LEEF EventID Detection, cat = category)',
        `${'CATEGORY'.padEnd(w)}  SEV  LOW-LEVEL  QID NAME`,
        ...qids.map((q) => `${q.category.padEnd(w)}  ${String(q.severity).padStart(3)}  ${String(q.lowLevelCategoryId).padStart(9)}  ${q.name}`),
      ],
      json: { qids: qids.map((q) => ({ category: q.category, name: q.name, severity: q.severity, lowLevelCategoryId: q.lowLevelCategoryId })) },
    };
  },
  begin(site) {
    return Promise.resolve(new QRadarEdit(site));
  },
};
