/**
 * The category → title lookup of the search app: a CSV file generated from the site's categories
 * (src/categories/), its transforms.conf stanza, and the automatic lookup in props.conf that
 * gives every CyberTrace detection event the field `category_title`. The dashboards show that
 * field and the alert names carry the title, so `ctconnect categories rename` shows in Splunk
 * after the app is regenerated and installed.
 */
import { categoriesOf, categoryList, type Site } from '../../src/connector/index.js';
import { UserError } from '../../src/kernel/errors.js';
import { confValue, type ConfStanza } from './conf.js';

export const CATEGORY_LOOKUP = 'kl_cybertrace_categories';
export const CATEGORY_LOOKUP_FILE = `${CATEGORY_LOOKUP}.csv`;
/** The field the automatic lookup adds to detection events. */
export const CATEGORY_TITLE_FIELD = 'category_title';

/** One CSV field, always quoted (RFC 4180: a quote inside is doubled); titles are one line (the site schema). */
const csvField = (value: string) => `"${value.replace(/"/g, '""')}"`;

/** The site's categories with their titles; each title is checked against Splunk's .conf value rules (alert descriptions carry it). */
export function categoryTitles(site: Site): Array<{ name: string; title: string }> {
  return categoryList(categoriesOf(site)).map((c) => {
    try {
      confValue(c.title);
    } catch (e) {
      const custom = site.categories.custom.findIndex((x) => x.name === c.name);
      const field = custom >= 0 ? `categories.custom.${custom}.title` : `categories.titles.${c.name}`;
      throw new UserError(`${site.source}: ${field}: cannot be written to Splunk's savedsearches.conf: ${(e as Error).message}`);
    }
    return { name: c.name, title: c.title };
  });
}

/** lookups/kl_cybertrace_categories.csv: header `category,title`, one row per category of the site. */
export function categoryLookupCsv(site: Site): string {
  const rows = categoryTitles(site).map((c) => `${csvField(c.name)},${csvField(c.title)}`);
  return ['category,title', ...rows].join('\r\n') + '\r\n';
}

/** The transforms.conf stanza of the lookup (keys of the Splunk 9.2 transforms.conf.spec). */
export function categoryLookupStanza(): ConfStanza {
  return {
    name: CATEGORY_LOOKUP,
    comment: ["Category → title of the site's detection categories (generated from the site file; change titles with `ctconnect categories rename`)."],
    // CyberTrace writes categories as the feed names them; the SIEM parsers compare them case-insensitively, so does this lookup.
    entries: [
      ['filename', CATEGORY_LOOKUP_FILE],
      ['case_sensitive_match', 'false'],
      ['max_matches', '1'],
    ],
  };
}

/** The props.conf entry that runs the lookup on every detection event at search time. */
export function categoryLookupProp(): [string, string] {
  return [`LOOKUP-${CATEGORY_LOOKUP}`, `${CATEGORY_LOOKUP} category OUTPUT title AS ${CATEGORY_TITLE_FIELD}`];
}

/**
 * The alert of one category: its name shows the title (unique by the category name in
 * parentheses). A stanza name cannot hold "]" and Splunk has no escape for it, so the name shows
 * ")" there; the description and the lookup keep the exact title.
 */
export function categoryAlertName(c: { name: string; title: string }): string {
  return `Kaspersky CyberTrace - ${c.title.replace(/\]/g, ')')} (${c.name})`;
}
