/**
 * The generated ossim-agent plugin, read the way the agent reads it (Python 3 configparser + re,
 * test/alienvault/ossim_agent_rules.py), and the TS port of its rules (wire.parseEvent).
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, exampleSite, fileText } from '../helpers/bundles.js';
import { runAgent, type AgentResult } from './agent.js';
import { SAMPLE_DETECTIONS, SEED_RAW_LOG_LINE } from '../../connectors/alienvault/samples.js';
import { missingDefaultProblem, pluginCfg, pluginCfgProblems, translationLines } from '../../connectors/alienvault/plugin-cfg.js';
import { sidTable } from '../../connectors/alienvault/translations.js';
import { pluginSidRows } from '../../connectors/alienvault/sql.js';
import { alienvault } from '../../connectors/alienvault/index.js';
import { renderCyberTraceFormat, type RenderedEventInput } from '../../src/cybertrace/render-event.js';
import { UserError } from '../../src/kernel/errors.js';

const site = exampleSite();
const bundle = await bundleFor('alienvault', site);
const cfg = fileText(bundle, 'alienvault/kaspersky_cyberTrace.cfg');
const sql = fileText(bundle, 'alienvault/kaspersky_cyberTrace.sql');
const sids = new Set(pluginSidRows(site).map((r) => String(r.sid)));
const settings = bundle.settings;

/** A line as rsyslog writes it to /var/log/kaspersky_cyberTrace.log (the Kaspersky CyberTrace–AlienVault integration guide RAW LOG shape, CR shown as #015). */
const logLine = (event: string, cr = true) => `Jun 27 08:50:19 192.0.2.10 ${event}${cr ? '#015' : ''}`;

function agent(lines: string[]): AgentResult[] {
  const r = runAgent(cfg, lines);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.results).toHaveLength(lines.length);
  return r.results;
}

describe('kaspersky_cyberTrace.cfg read by the agent (Python configparser + re)', () => {
  it('loads without problems and has no agent pitfalls', () => {
    expect(pluginCfgProblems(cfg)).toEqual([]);
    expect(runAgent(cfg, []).code).toBe(0);
    expect(cfg).toMatch(/^\[DEFAULT\]\nplugin_id=23021992$/m);
    expect(cfg).toMatch(/^_DEFAULT_=2$/m);
  });

  it('parses the Kaspersky CyberTrace–AlienVault integration guide raw log line into the fields the guide shows', () => {
    const [r] = agent([SEED_RAW_LOG_LINE]);
    expect(r.section).toBe('0002 - Kaspersky CyberTrace detection event with source address');
    const a = r.attributes!;
    expect(a.userdata1).toBe('KL_Phishing_URL');
    expect(a.userdata2).toBe('e77716a952f640b42e4371759a661663.com');
    expect(a.userdata3).toBe(
      'first_seen=10.07.2015 23:53 id=999999999 last_seen=04.10.2019 06:25 mask=e77716a952f640b42e4371759a661663.com popularity=1 type=1',
    );
    expect(a.src_ip).toBe('192.168.0.0');
    expect(a.date).toBe('Jun 27 08:50:19');
    expect(a.plugin_id).toBe('23021992');
    expect(a.plugin_sid).toBe('11');
    expect(sids.has(a.plugin_sid)).toBe(true);
    expect(sql).toContain(`(23021992, ${a.plugin_sid}, 15, 71, NULL, 'Kaspersky CyberTrace - Phishing URL detected', 5, 8)`);
  });

  it('reads service events into userdata1 (alert) and userdata2 (context) with SID 1', () => {
    const results = agent([
      logLine('alert=KL_ALERT_UpdatedFeed context= feed=Phishing_URL_Data_Feed.json records=200473'),
      logLine('alert=KL_ALERT_ServiceStarted context=', false),
    ]);
    expect(results[0].section).toBe('0001 - Kaspersky CyberTrace service event');
    expect(results[0].attributes).toMatchObject({
      plugin_sid: '1',
      userdata1: 'KL_ALERT_UpdatedFeed',
      userdata2: 'feed=Phishing_URL_Data_Feed.json records=200473',
    });
    expect(results[1].attributes).toMatchObject({ plugin_sid: '1', userdata1: 'KL_ALERT_ServiceStarted', userdata2: '' });
    expect(sids.has('1')).toBe(true);
  });

  it('gives an unknown category the generic SID (_DEFAULT_) and matches categories case-insensitively', () => {
    const [unknown, lower, custom] = agent([
      logLine('category=OSINT_Some_Feed detected=198.51.100.7 url=- src=10.0.0.5 ip=198.51.100.7 hash=- context= source=osint'),
      logLine('category=kl_malicious_url detected=fakess123.nu url=fakess123.nu src=- ip=- hash=- context='),
      logLine('category=Custom_Feed detected=bad.example url=bad.example src=- ip=- hash=- context= note=x'),
    ]);
    expect(unknown.attributes!.plugin_sid).toBe('2');
    expect(unknown.attributes!.userdata1).toBe('OSINT_Some_Feed');
    expect(lower.attributes!.plugin_sid).toBe('10');
    expect(custom.attributes!.plugin_sid).toBe('1000');
    for (const r of [unknown, lower, custom]) expect(sids.has(r.attributes!.plugin_sid)).toBe(true);
  });

  it('sets src_ip only when src= holds an IPv4 address (the specific rule sorts first)', () => {
    const [withSrc, without] = agent([
      logLine('category=KL_IP_Reputation detected=192.0.2.0 url=- src=10.1.2.3 ip=192.0.2.0 hash=- context='),
      logLine('category=KL_IP_Reputation detected=192.0.2.0 url=- src=- ip=192.0.2.0 hash=- context='),
    ]);
    expect(withSrc.section).toMatch(/^0002 /);
    expect(withSrc.attributes!.src_ip).toBe('10.1.2.3');
    expect(without.section).toMatch(/^0003 /);
    expect(without.attributes!.src_ip).toBeUndefined();
    expect(without.attributes!.userdata5).toBe('192.0.2.0');
  });

  it('reads events after a syslog tag or a <PRI> that rsyslog kept; TS port agrees', () => {
    const event = 'category=KL_Phishing_URL detected=phish.example url=phish.example src=10.1.2.3 ip=- hash=- context= popularity=1';
    const heads = [
      'Jun 27 08:50:19 192.0.2.10 ',
      'Jun 27 08:50:19 cthost kl_feed_service: ',
      'Jun 27 08:50:19 cthost kl_feed_service[4242]: ',
      'Jun 27 08:50:19 cthost kl_feed_service ',
      'Jun 27 08:50:19 192.0.2.10 <134>',
      'Jun 27 08:50:19 192.0.2.10  <134>',
      'Jun 27 08:50:19 192.0.2.10 <134>kl_feed_service: ',
    ];
    const results = agent(heads.map((h) => h + event));
    results.forEach((r, i) => {
      expect(r.attributes, heads[i]).toMatchObject({
        plugin_sid: '11',
        src_ip: '10.1.2.3',
        userdata1: 'KL_Phishing_URL',
        userdata2: 'phish.example',
        userdata3: 'popularity=1',
      });
      expect(alienvault.wire.parseEvent(heads[i] + event, site).fields).toMatchObject({ category: 'KL_Phishing_URL', indicator: 'phish.example' });
    });
    const [alert] = agent(['Jun 27 08:50:19 cthost kl_feed_service: alert=KL_ALERT_UpdatedFeed context= feed=x.json']);
    expect(alert.attributes).toMatchObject({ plugin_sid: '1', userdata1: 'KL_ALERT_UpdatedFeed', userdata2: 'feed=x.json' });
    // Two words, or a key=value word, between the host and the event are not a tag.
    expect(agent(['Jun 27 08:50:19 cthost two words ' + event, 'Jun 27 08:50:19 cthost a=b ' + event]).map((r) => r.section)).toEqual([null, null]);
  });

  it('without _DEFAULT_ an unknown category ends the parser loop: nothing after it is read', () => {
    const noDefault = cfg.replace(/^_DEFAULT_=2\n/m, '');
    expect(noDefault).not.toBe(cfg);
    const r = runAgent(noDefault, [
      logLine('category=KL_Phishing_URL detected=a.example url=- src=- ip=- hash=- context='),
      logLine('category=OSINT_Some_Feed detected=b.example url=- src=- ip=- hash=- context='),
      logLine('category=KL_Phishing_URL detected=c.example url=- src=- ip=- hash=- context='),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.results).toHaveLength(2);
    expect(r.results[0].attributes?.userdata2).toBe('a.example');
    expect(r.results[1].fatal).toMatch(/int\(\) of plugin_sid 'OSINT_Some_Feed'.*reads nothing more/);
  });

  it('the generator refuses a [translation] section without one usable _DEFAULT_', () => {
    const table = sidTable(site);
    const lines = translationLines(site);
    expect(missingDefaultProblem(lines, table)).toBeUndefined();
    expect(
      missingDefaultProblem(
        lines.filter(([k]) => k !== '_DEFAULT_'),
        table,
      ),
    ).toMatch(/no _DEFAULT_ line; without _DEFAULT_ .*parser loop dies/);
    expect(missingDefaultProblem([...lines, ['_default_', 2]], table)).toMatch(/2 _DEFAULT_ lines/);
    expect(missingDefaultProblem([['_DEFAULT_', 99999], ...lines.slice(1)], table)).toMatch(/SID 99999, which has no plugin_sid row/);
  });

  it('ignores lines that are not CyberTrace events', () => {
    const [r] = agent(['Jun 27 08:50:19 host sshd[1]: Accepted publickey for root']);
    expect(r.section).toBeNull();
  });
});

describe('round trip: CyberTrace EventFormat → rsyslog log line → plugin', () => {
  const events: RenderedEventInput[] = [
    ...SAMPLE_DETECTIONS,
    {
      values: {
        Category: 'Custom_Feed',
        MatchedIndicator: 'http://test.phishing.example.com/psh/test?p=1&p=2',
        RE_URL: 'test.phishing.example.com/psh/test?p=1&p=2',
        SRC_IP: '172.16.0.9',
      },
      context: [
        ['comment', 'line with spaces; and = signs'],
        ['weight', '3'],
      ],
    },
    { values: { Category: 'KL_APT_Hash_MD5', MatchedIndicator: 'A72C5B99F2706B00718279C9533A3648', RE_MD5: 'A72C5B99F2706B00718279C9533A3648' }, context: [] },
  ];
  const rendered = events.map((e) => renderCyberTraceFormat(settings.output.eventFormat, settings, e));
  const lines = rendered.map((r) => logLine(r));

  it('the Python plugin reads back every field', () => {
    const results = agent(lines);
    results.forEach((r, i) => {
      const v = events[i].values;
      const a = r.attributes!;
      expect(a.userdata1).toBe(v.Category);
      expect(a.userdata2).toBe(v.MatchedIndicator);
      expect(a.userdata3).toBe(renderCyberTraceFormat('%RecordContext%', settings, events[i]).trim());
      expect(a.userdata4).toBe(v.RE_URL ?? '-');
      expect(a.userdata5).toBe(v.RE_IP ?? '-');
      expect(a.userdata6).toBe(v.RE_MD5 ?? '-');
      expect(a.src_ip).toBe(v.SRC_IP);
      expect(sids.has(a.plugin_sid)).toBe(true);
    });
  });

  it('the TS port (wire.parseEvent) agrees with the Python plugin', () => {
    const results = agent(lines);
    lines.forEach((line, i) => {
      const parsed = alienvault.wire.parseEvent(line, site);
      const a = results[i].attributes!;
      const v = events[i].values;
      expect(parsed.kind).toBe('detection');
      expect(parsed.fields.category).toBe(a.userdata1);
      expect(parsed.fields.indicator).toBe(a.userdata2);
      expect(parsed.fields.src_ip).toBe(a.src_ip);
      expect(parsed.fields.url).toBe(v.RE_URL);
      expect(parsed.fields.md5).toBe(v.RE_MD5);
      expect(parsed.context).toEqual(events[i].context ?? []);
    });
  });

  it('parseEvent also reads an event as CyberTrace sent it (no syslog header yet)', () => {
    const parsed = alienvault.wire.parseEvent(rendered[0], site);
    expect(parsed.fields.category).toBe('KL_Malicious_URL');
    expect(parsed.fields.src_ip).toBe('10.20.30.40');
    const alert = alienvault.wire.parseEvent(
      renderCyberTraceFormat(settings.output.alertFormat!, settings, { values: { Alert: 'KL_ALERT_OutdatedFeed' }, context: [['feed', 'x.json']] }),
      site,
    );
    expect(alert).toEqual({ kind: 'alert', fields: { alert: 'KL_ALERT_OutdatedFeed', date: expect.any(String) }, context: [['feed', 'x.json']] });
    expect(() => alienvault.wire.parseEvent('something else entirely', site)).toThrow(/no rule/);
  });
});

describe('agent pitfalls are refused', () => {
  const base =
    '[DEFAULT]\nplugin_id=1\n[config]\ntype=detector\nenable=yes\nsource=log\n[translation]\n_DEFAULT_=2\n[0001 - r]\nevent_type=event\nplugin_sid=1\n';
  const cases: Array<[string, string, RegExp]> = [
    ['trailing quote', 'regexp=name="(?P<x>\\w+)"\n', /quote/],
    ['literal \\n', 'regexp=a\\nb\n', /split the rule/],
    ['inline comment', 'regexp=a ;b\n', /inline comment/],
    ['interpolation', 'regexp=a%(b)s\n', /interpolation/],
    ['non-ASCII', 'regexp=caf\u00e9\n', /non-ASCII/],
  ];
  for (const [what, line, message] of cases) {
    it(`checker refuses ${what}`, () => {
      expect(pluginCfgProblems(base + line).join('\n')).toMatch(message);
    });
  }

  it('what the checker refuses really breaks the agent', () => {
    // `%(` makes ConfigParser fail on the rule; a trailing quote is stripped from the regexp.
    expect(runAgent(base + 'regexp=a%(b)s\n', []).code).toBe(2);
    // The closing quote of the regexp is lost: a value without it still matches.
    const r = runAgent(base + 'regexp=id="(?P<x>\\w+)"\nuserdata1={$x}\n', ['id="abc']);
    expect(r.results[0].attributes?.userdata1).toBe('abc');
    expect(runAgent(base + 'regexp=a\\nb\n', []).stderr).toMatch(/multi-line/);
  });

  it('the generator refuses a category that cannot be written safely', () => {
    for (const bad of ['bad"name', 'a%(b)s', 'a ;b', 'two\nlines', "it's"]) {
      const hostile = { ...site, categories: { ...site.categories, custom: [{ name: bad }] } };
      expect(() => pluginCfg(hostile)).toThrow(UserError);
      expect(() => pluginCfg(hostile)).toThrow(/cannot be a key of the plugin's \[translation\] section/);
    }
  });
});
