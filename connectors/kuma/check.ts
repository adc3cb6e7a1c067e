/**
 * Checks of `siems.kuma` beyond single-field schema checks: lengths (with a plain message),
 * mapping field names against the known normalized fields, fields and values that the chosen
 * KUMA version does not have, and agreement with the CyberTrace version of the site.
 */
import type { OptionProblem, Site } from '../../src/connector/index.js';
import type { KumaOptions } from './options.js';
import { normalizedFieldProblem } from './normalized-fields.js';
import { chosenPath, cybertraceMajorOf, existsIn, RULE_FIELDS } from './rule-fields.js';

const unicodeLength = (s: string): number => [...s].length;

export function checkKumaOptions(o: KumaOptions, site: Site): OptionProblem[] {
  const rule = (o.rule ?? {}) as Record<string, unknown>;
  const family = o.version;
  const problems: OptionProblem[] = [];

  for (const f of RULE_FIELDS) {
    const v = rule[f.siteKey];
    if (v === undefined) continue;
    if (!existsIn(f.since, family)) {
      problems.push({
        path: ['rule', f.siteKey],
        message: `"${f.consoleField}" exists from KUMA ${f.since}; siems.kuma.version is "${family}": remove it or set version to a later KUMA`,
      });
      continue;
    }
    if (f.length && typeof v === 'string') {
      const n = unicodeLength(v);
      if (n < f.length.min || n > f.length.max) {
        const range = f.length.min > 0 ? `${f.length.min} to ${f.length.max}` : `at most ${f.length.max}`;
        problems.push({ path: ['rule', f.siteKey], message: `${f.consoleField} must be ${range} Unicode characters (got ${n})` });
      }
    }
    // The rule's values are scalars (the schema allows strings, numbers and booleans only).
    const shown = String(v as string | number | boolean); // eslint-disable-line @typescript-eslint/no-unnecessary-type-assertion
    const since = f.valueSince?.[shown];
    if (since && !existsIn(since, family)) {
      problems.push({ path: ['rule', f.siteKey], message: `"${shown}" exists from KUMA ${since}; siems.kuma.version is "${family}"` });
    }
  }

  const seen = new Map<string, number>();
  (o.rule?.mapping ?? []).forEach((row, i) => {
    const problem = normalizedFieldProblem(row.field);
    if (problem) problems.push({ path: ['rule', 'mapping', i, 'field'], message: problem });
    const first = seen.get(row.field);
    if (first !== undefined)
      problems.push({ path: ['rule', 'mapping', i, 'field'], message: `"${row.field}" is already mapped in row ${first + 1}; KUMA sends each field once` });
    else seen.set(row.field, i);
  });

  const major = o.rule?.cybertrace_major;
  if (major !== undefined && major !== cybertraceMajorOf(site)) {
    problems.push({
      path: ['rule', 'cybertrace_major'],
      message: `"${major}" does not match cybertrace.version "${site.cybertrace.version}" (that is "${cybertraceMajorOf(site)}"); leave it out to follow cybertrace.version`,
    });
  }
  // KUMA 4.0 help (page 217808): with "CyberTrace ≥ 5" the requests are executed in CyberTrace's General tenant.
  const path = chosenPath(site, family);
  const tenant = site.cybertrace.tenant?.name;
  if (path.sourceKind === 'cybertrace-http' && path.major === '>=5' && tenant !== undefined && tenant !== 'General') {
    problems.push({
      path: o.rule?.source_kind !== undefined ? ['rule', 'source_kind'] : [],
      message:
        `KUMA's cybertrace-http source kind with CyberTrace 5 and later queries the General tenant only, and this KUMA is served by the tenant "${tenant}": ` +
        "serve kuma from the General tenant, or set rule.source_kind: cybertrace (KUMA then sends its events to the tenant's input port)",
    });
  }
  return problems;
}
