/**
 * The category → title lookup of the search app: the CSV read back with Python's csv module (the
 * dialect Splunk's lookups use: RFC 4180, quoted fields), the transforms.conf stanza that names
 * it, the automatic lookup in props.conf, and the dashboards that show its field. The forwarder
 * app of the distributed scheme has none of it (it does not search).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileText, siteFromYaml } from '../helpers/bundles.js';
import { parseConf } from '../../connectors/splunk/conf.js';
import { APP_ID, distributedBundle, splunkBundle } from './helpers/app.js';

const FORWARDER_ID = 'Kaspersky_CyberTrace_Forwarder_for_Splunk';
const LOOKUP_CSV = `${APP_ID}/lookups/kl_cybertrace_categories.csv`;

function readCsv(text: string): string[][] {
  const py = spawnSync('python3', ['-c', 'import csv, json, sys\nprint(json.dumps(list(csv.reader(sys.stdin.read().splitlines(True)))))'], {
    input: text,
    encoding: 'utf8',
  });
  expect(py.status, py.stderr).toBe(0);
  return JSON.parse(py.stdout) as string[][];
}

const site = () =>
  siteFromYaml(
    [
      'cybertrace:\n  address: 127.0.0.1',
      'categories:',
      '  kaspersky: [KL_Malicious_URL, KL_Phishing_URL]',
      '  custom:',
      `    - name: My_Feed`,
      `      title: 'Ours, "quoted" — ü'`,
      '  titles:',
      '    KL_Phishing_URL: Phishing link',
      'siems:\n  splunk:\n    address: 127.0.0.1\n',
    ].join('\n'),
  );

describe('Splunk category → title lookup', () => {
  it('holds one row per category of the site with its title, as a CSV reader reads it', async () => {
    const b = await splunkBundle(site());
    expect(readCsv(fileText(b, LOOKUP_CSV))).toEqual([
      ['category', 'title'],
      ['KL_Malicious_URL', 'Malicious URL detected'],
      ['KL_Phishing_URL', 'Phishing link'],
      ['My_Feed', 'Ours, "quoted" — ü'],
    ]);
  });

  it('is named in transforms.conf and run on every detection event by props.conf; the dashboards show its field', async () => {
    const b = await splunkBundle(site());
    const transforms = parseConf(fileText(b, `${APP_ID}/default/transforms.conf`)).stanzas;
    expect(Object.fromEntries(transforms.get('kl_cybertrace_categories')!)).toEqual({
      filename: 'kl_cybertrace_categories.csv',
      case_sensitive_match: 'false',
      max_matches: '1',
    });
    const props = parseConf(fileText(b, `${APP_ID}/default/props.conf`)).stanzas;
    expect(props.get('kaspersky:cybertrace')!.get('LOOKUP-kl_cybertrace_categories')).toBe('kl_cybertrace_categories category OUTPUT title AS category_title');
    const meta = parseConf(fileText(b, `${APP_ID}/metadata/default.meta`)).stanzas;
    expect(meta.get('lookups')!.get('export')).toBe('system');
    const overview = fileText(b, `${APP_ID}/default/data/ui/views/kl_cybertrace_overview.xml`);
    expect(overview).toContain('| top limit=10 category_title');
    expect(overview).toContain('table _time category_title category');
  });

  it('the forwarder app of the distributed scheme has no lookup; the search-head app has it', async () => {
    const b = await distributedBundle();
    expect(b.files.some((f) => f.path.startsWith(`${FORWARDER_ID}/lookups/`))).toBe(false);
    expect(parseConf(fileText(b, `${FORWARDER_ID}/default/transforms.conf`)).stanzas.has('kl_cybertrace_categories')).toBe(false);
    expect(
      parseConf(fileText(b, `${FORWARDER_ID}/default/props.conf`))
        .stanzas.get('kaspersky:cybertrace')!
        .has('LOOKUP-kl_cybertrace_categories'),
    ).toBe(false);
    expect(b.files.some((f) => f.path === LOOKUP_CSV)).toBe(true);
  });

  it('writes a title with "]" (which a stanza name cannot hold) as ")" in the alert name, exactly elsewhere', async () => {
    const b = await splunkBundle(
      siteFromYaml(
        'cybertrace:\n  address: 127.0.0.1\ncategories:\n  custom:\n    - name: My_Feed\n      title: "a [b] c"\nsiems:\n  splunk:\n    address: 127.0.0.1\n',
      ),
    );
    const saved = parseConf(fileText(b, `${APP_ID}/default/savedsearches.conf`));
    expect(saved.problems).toEqual([]);
    expect(saved.stanzas.get('Kaspersky CyberTrace - a [b) c (My_Feed)')!.get('description')).toBe('a [b] c: CyberTrace detection events of category My_Feed.');
    expect(readCsv(fileText(b, LOOKUP_CSV))).toContainEqual(['My_Feed', 'a [b] c']);
  });
});
