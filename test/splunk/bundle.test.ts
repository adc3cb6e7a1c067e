import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/kernel/errors.js';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';
import { parseConf } from '../../connectors/splunk/conf.js';
import { APP_ID } from './helpers/app.js';

const DISTRIBUTED = `name: dist
cybertrace:
  address: 10.1.2.3
  input_port: 10999
  return_port: 10998
siems:
  splunk:
    address: hf1.example.org
    scheme: distributed
    index: cybertrace
`;

describe('Splunk bundle', () => {
  it('single instance: the app is installed under $SPLUNK_HOME/etc/apps and Splunk restarted on change', async () => {
    const b = await bundleFor('splunk');
    const app = b.files.filter((f) => f.path.startsWith(`${APP_ID}/`));
    expect(app.length).toBeGreaterThan(10);
    for (const f of app) {
      expect(f.install).toMatchObject({ role: 'splunk', path: `/opt/splunk/etc/apps/${f.path}`, mode: f.mode, owner: 'splunk:splunk', notify: ['restart'] });
    }
    expect(b.files.find((f) => f.path === `${APP_ID}/bin/kl_search.py`)!.mode).toBe(0o755);
    expect(b.steps.find((s) => s.id === 'restart' && s.role !== 'cybertrace')).toMatchObject({
      role: 'splunk',
      command: '/opt/splunk/bin/splunk restart',
      when: 'changed',
    });
    expect(b.files.find((f) => f.path === `${APP_ID}.spl`)!.install).toBeUndefined();
  });

  it('distributed: forwarder app and search-head app with the site addresses and ports, each deployed to its own tier', async () => {
    const b = await bundleFor('splunk', siteFromYaml(DISTRIBUTED));
    const fwd = 'Kaspersky_CyberTrace_Forwarder_for_Splunk';
    expect(b.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([`${fwd}.spl`, `${APP_ID}.spl`, `${fwd}/default/inputs.conf`, `${APP_ID}/bin/kl_search.py`]),
    );
    expect(b.files.some((f) => f.path === `${APP_ID}/default/inputs.conf` || f.path === `${fwd}/bin/kl_search.py`)).toBe(false);
    const roleOf = (p: string) => b.files.find((f) => f.path === p)!.install?.role;
    expect(roleOf(`${fwd}/default/inputs.conf`)).toBe('splunk-forwarder');
    expect(roleOf(`${APP_ID}/bin/kl_search.py`)).toBe('splunk-search-head');
    expect(roleOf(`${fwd}.spl`)).toBeUndefined();
    expect(b.files.find((f) => f.path === `${fwd}/default/outputs.conf`)!.install!.path).toBe(`/opt/splunk/etc/apps/${fwd}/default/outputs.conf`);
    expect(b.steps.filter((s) => s.id === 'restart' && s.role !== 'cybertrace').map((s) => s.role)).toEqual(['splunk-forwarder', 'splunk-search-head']);
    expect(b.steps.some((s) => s.role === 'splunk')).toBe(false);

    const inputs = parseConf(fileText(b, `${fwd}/default/inputs.conf`)).stanzas;
    expect(inputs.get('tcp://3000')!.get('_TCP_ROUTING')).toBe('kaspersky_cybertrace');
    expect(inputs.get('tcp://10998')!.get('acceptFrom')).toBe('10.1.2.3');
    expect(inputs.get('tcp://10998')!.get('index')).toBe('cybertrace');
    const outputs = parseConf(fileText(b, `${fwd}/default/outputs.conf`)).stanzas;
    expect(outputs.get('tcpout:kaspersky_cybertrace')!.get('server')).toBe('10.1.2.3:10999');
    expect(outputs.has('tcpout')).toBe(false);
    expect(
      parseConf(fileText(b, `${fwd}/default/app.conf`))
        .stanzas.get('ui')!
        .get('is_visible'),
    ).toBe('false');

    expect(JSON.parse(fileText(b, `${APP_ID}/bin/config.json`))).toMatchObject({ service_addr: '10.1.2.3', service_port: 10999 });
    expect(
      parseConf(fileText(b, `${APP_ID}/default/macros.conf`))
        .stanzas.get('kl_cybertrace_events')!
        .get('definition'),
    ).toBe('index="cybertrace" sourcetype="kaspersky:cybertrace"');
    expect(b.settings.output.connectionString).toBe('hf1.example.org:10998');
    expect(b.settings.input.connectionString).toBe('10.1.2.3:10999');
    expect(fileText(b, 'INSTALL.md')).toContain(`\`${fwd}.spl\` on the forwarder(s) that send events to CyberTrace, heavy or universal`);
  });

  it('one alert template per category of the site, plus the service alerts', async () => {
    const b = await bundleFor(
      'splunk',
      siteFromYaml(
        `cybertrace:\n  address: 127.0.0.1\ncategories:\n  kaspersky: [KL_Malicious_URL]\n  custom:\n    - name: My_Feed\n      title: 'Ours: <b> & "quoted"'\nsiems:\n  splunk:\n    address: 127.0.0.1\n`,
      ),
    );
    const saved = parseConf(fileText(b, `${APP_ID}/default/savedsearches.conf`)).stanzas;
    // Alert names carry the category's title (a rename shows there), made unique by the category name.
    const mine = 'Kaspersky CyberTrace - Ours: <b> & "quoted" (My_Feed)';
    expect([...saved.keys()]).toEqual([
      'Kaspersky CyberTrace - Malicious URL detected (KL_Malicious_URL)',
      mine,
      'Kaspersky CyberTrace - Outdated feed',
      'Kaspersky CyberTrace - Feed unavailable',
      'Kaspersky CyberTrace - Service stopped or unavailable',
    ]);
    expect(saved.get(mine)!.get('description')).toBe('Ours: <b> & "quoted": CyberTrace detection events of category My_Feed.');
    expect(saved.get(mine)!.get('search')).toMatch(/^`kl_cybertrace_events` category="My_Feed" \| table /);
    expect(saved.get('Kaspersky CyberTrace - Outdated feed')!.get('search')).toContain('alert="KL_ALERT_OutdatedFeed"');
    expect(fileText(b, 'INSTALL.md')).toContain('everything on one computer (127.0.0.1)');
  });

  it.each([
    ['a line break', '"two\\nlines"', /must be one line of text/],
    ['a trailing backslash', '"ends in \\\\"', /not ending in "\\" \(a Splunk \.conf value would continue on the next line\)/],
  ])('refuses a custom title with %s (not a .conf value) when the site is loaded, naming field and position', (_what, title, why) => {
    const yaml = `cybertrace:\n  address: 127.0.0.1\ncategories:\n  custom:\n    - name: My_Feed\n      title: ${title}\nsiems:\n  splunk:\n    address: 127.0.0.1\n`;
    expect(() => siteFromYaml(yaml)).toThrow(UserError);
    try {
      siteFromYaml(yaml);
    } catch (e) {
      const line = (e as UserError).details.find((l) => l.includes('categories.custom[0].title'));
      expect(line).toMatch(/:6:14: categories\.custom\[0\]\.title: /);
      expect(line).toMatch(why);
    }
  });

  it.each([
    ['the same app id twice', 'app_id: Same\n    forwarder_app_id: Same', /forwarder_app_id: must differ from app_id/],
    ['the input port equal to the return port', 'input_port: 9998', /input_port: must differ from cybertrace\.return_port/],
    ['a port clash with CyberTrace on the same host', 'input_port: 9999', /both would listen on port 9999/],
    ['an app id with a space', 'app_id: My App', /app_id: must be a Splunk app id/],
    ['an index name with a quote', "index: 'a\"b'", /index: must be a Splunk index name/],
  ])('rejects %s in the site file', (_what, yaml, message) => {
    const text = `cybertrace:\n  address: 127.0.0.1\nsiems:\n  splunk:\n    address: 127.0.0.1\n    ${yaml}\n`;
    let error: unknown;
    try {
      siteFromYaml(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeDefined();
    const err = error as Error & { details?: string[] };
    expect([err.message, ...(err.details ?? [])].join('\n')).toMatch(message);
  });

  it('the CyberTrace formats are the key=value formats the transforms read', async () => {
    const b = await bundleFor('splunk');
    expect(b.settings.output.eventFormat).toBe(
      '%Date% category=%Category% matchedIndicator=%MatchedIndicator% url=%RE_URL% src=%SRC_IP% ip=%RE_IP% md5=%RE_MD5% sha1=%RE_SHA1% sha256=%RE_SHA256% usrName=%RE_USERNAME%%RecordContext%',
    );
    expect(b.settings.output.alertFormat).toBe('%Date% alert=%Alert%%RecordContext%');
    expect(b.settings.output.finishedEventEnabled).toBe(false);
    expect(b.settings.output.connectionString).toBe('192.0.2.40:9998');
  });
});
