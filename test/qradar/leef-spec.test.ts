/**
 * CyberTrace's QRadar events read by an independent reader written from IBM's LEEF specification
 * (./leef-spec-reader.ts), not by the project's parser: every sample event of the bundle, every
 * event `simulate` sends, and events with hostile values. The custom-property key definitions of
 * the bundle (DSM Editor table and REST JSON) must select exactly the values the events carry.
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, exampleSite, fileText } from '../helpers/bundles.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { sampleEvents } from '../../src/simulate/events.js';
import { parseLeef } from '../../src/formats/leef.js';
import { qradar } from '../../connectors/qradar/index.js';
import { customProperties } from '../../connectors/qradar/contract.js';
import { categoriesOf, categoryList } from '../../src/categories/site-categories.js';
import { leefExpression, readLeefBySpec, type SpecLeef } from './leef-spec-reader.js';

const site = exampleSite();
const bundle = await bundleFor('qradar', site);
const settings = bundle.settings;
const DETECTION_KEYS = [
  'cat',
  'sev',
  'src',
  'dst',
  'url',
  'usrName',
  'md5',
  'sha1',
  'sha256',
  'matchedIndicator',
  'confidence',
  'deviceHost',
  'deviceProduct',
  'recordContext',
];

/** What every CyberTrace event must be by the specification, whatever its values. */
function checkShape(e: SpecLeef): void {
  expect(e.syslog).toMatchObject({ host: 'KL_Threat_Feed_Service_v2', rfc: 3164 });
  expect(e).toMatchObject({ version: '2.0', vendor: 'Kaspersky', product: 'CyberTrace', productVersion: '1.0', delimiter: '^', stray: [] });
  const keys = e.attributes.map((a) => a.key);
  if (e.eventId === 'Detection') expect(keys.slice(0, DETECTION_KEYS.length)).toEqual(DETECTION_KEYS);
  else expect([e.eventId, keys]).toEqual(['ServiceEvent', ['cat', 'sev', 'recordContext']]);
}

describe('LEEF events by the specification', () => {
  it('every sample event of the bundle', () => {
    const lines = fileText(bundle, 'qradar/sample-events.leef')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      const e = readLeefBySpec(line);
      checkShape(e);
      // The project's reader agrees with the specification's on every attribute.
      expect(parseLeef(line).attributes).toEqual(e.attributes.map((a) => [a.key, a.value]));
    }
    expect(leefExpression(readLeefBySpec(lines[0]), 'url')).toBe('fakess123.nu');
  });

  it('every event simulate sends: one detection per category of the site and the service events', () => {
    const source = sampleEvents(settings, site, new Date(Date.UTC(2026, 0, 6, 9, 5, 41)));
    const lines = Array.from({ length: 40 }, (_, i) => source.line(i));
    const seen = new Set<string>();
    for (const line of lines) {
      const e = readLeefBySpec(line);
      checkShape(e);
      expect(e.syslog!.timestamp).toBe('Jan  6 09:05:41');
      seen.add(`${e.eventId}/${leefExpression(e, 'cat')}`);
      expect(qradar.wire.parseEvent(line, site).fields).toBeDefined();
    }
    for (const c of categoryList(categoriesOf(site))) expect(seen).toContain(`Detection/${c.name}`);
    expect([...seen].filter((s) => s.startsWith('ServiceEvent/')).length).toBeGreaterThan(0);
  });

  describe('hostile values', () => {
    const render = (values: Record<string, string>, context: Array<[string, string]> = []) =>
      renderCyberTraceFormat(settings.output.eventFormat, settings, {
        values: { Date: 'Jan 18 11:07:53', Category: 'KL_Malicious_URL', Confidence: '100', ...values },
        context,
      });

    it.each([
      ['a tab', 'http://x.example/a\tb'],
      ['a pipe', 'http://x.example/a|b|c'],
      ['equals signs', 'http://x.example/?a=1&b==2'],
      ['non-ASCII text', 'http://пример.испытание/путь?q=日本語'],
      ['LEEF header text', 'LEEF:2.0|Evil|Product|1|id|^|cat=x'.replace('^', '%5E')],
    ])('%s in the URL, the matched indicator and the context survives', (_label, value) => {
      const context: Array<[string, string]> = [['whois', value]];
      const line = render({ RE_URL: value, MatchedIndicator: value, UserName: 'jdoe' }, context);
      const e = readLeefBySpec(line);
      checkShape(e);
      expect(leefExpression(e, 'url')).toBe(value);
      expect(leefExpression(e, 'matchedIndicator')).toBe(value);
      expect(leefExpression(e, 'recordContext')).toBe(`whois:${value} `);
      expect(leefExpression(e, 'cat')).toBe('KL_Malicious_URL');
      const parsed = qradar.wire.parseEvent(line, site);
      expect(parsed.fields).toMatchObject({ url: value, indicator: value, user: 'jdoe' });
      expect(parsed.context).toEqual(context);
    });

    it('the delimiter itself in a URL: that attribute ends there, the rest is a key of its own or stray text, every other attribute is intact (as README and INSTALL.md say)', () => {
      const url = 'http://x.example/p^q?r^s=1';
      const line = render({ RE_URL: url, MatchedIndicator: url, DST_IP: '192.0.2.7' }, [['k', 'v^w']]);
      const e = readLeefBySpec(line);
      expect(leefExpression(e, 'url')).toBe('http://x.example/p');
      expect(leefExpression(e, 's')).toBe('1');
      expect(e.stray).toEqual(['q?r', 'q?r', 'w ']);
      // What QRadar keys a QID and the offense on is unaffected.
      expect(e.eventId).toBe('Detection');
      expect(leefExpression(e, 'cat')).toBe('KL_Malicious_URL');
      expect(leefExpression(e, 'dst')).toBe('192.0.2.7');
      expect(leefExpression(e, 'sev')).toBe('8');
      expect(leefExpression(e, 'confidence')).toBe('100');
    });

    it('the delimiter in a value the regexps take from the payload never reaches the event', () => {
      const payload = '<134>Jan  1 00:00:00 proxy^1 LEEF:1.0|Blue Coat|Proxy^SG|6.7|1|usrName=j^doe\turl=http://fakess123.nu';
      const forwarded = settings.input.regexps;
      const values: Record<string, string> = {};
      for (const r of forwarded) {
        const m = new RegExp(r.pattern).exec(payload);
        if (m) values[r.name] = m[1]!;
      }
      expect(values).toMatchObject({ UserName: 'j', Device: 'proxy' });
      expect(values.Product).toBeUndefined();
      const e = readLeefBySpec(render({ ...values, MatchedIndicator: values.RE_URL }));
      checkShape(e);
      expect(leefExpression(e, 'usrName')).toBe('j');
    });
  });

  describe('the custom properties select exactly the values the events carry', () => {
    const props = customProperties();
    const values = Object.fromEntries(props.map((p) => [p.placeholder, `value of ${p.placeholder} = x|y\tz é`]));
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { Date: 'Jan 18 11:07:53', Category: 'KL_Malicious_URL', ...values },
      context: [
        ['a', '1'],
        ['b', 'two words'],
      ],
    });
    const e = readLeefBySpec(line);

    it.each(props.filter((p) => p.key !== 'recordContext'))('$name (LEEF key $key) selects its placeholder', (p) => {
      expect(leefExpression(e, p.key)).toBe(values[p.placeholder]);
      // Only one attribute has the key: a LEEF expression cannot pick the wrong one.
      expect(e.attributes.filter((a) => a.key === p.key)).toHaveLength(1);
    });

    it('Record Context selects the whole formatted context', () => {
      expect(leefExpression(e, 'recordContext')).toBe('a:1 b:two words ');
    });

    it('the DSM Editor table and the REST JSON define the same keys', () => {
      const table = fileText(bundle, 'qradar/custom-properties.md');
      const rows = [...table.matchAll(/^\| (.+?) \| LEEF \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]);
      expect(rows).toEqual(props.map((p) => [p.name, p.key]));
      const names = (JSON.parse(fileText(bundle, 'qradar/rest/regex_properties.json')) as Array<{ name: string; property_type: string }>).map((r) => [
        r.name,
        r.property_type,
      ]);
      const expressions = (JSON.parse(fileText(bundle, 'qradar/rest/property_leef_expressions.json')) as Array<{ expression: string; enabled: boolean }>).map(
        (x) => x.expression,
      );
      expect(names).toEqual(props.map((p) => [p.name, 'string']));
      expect(expressions).toEqual(props.map((p) => p.key));
      // Every key the REST expressions name is present in the event, once.
      for (const k of expressions)
        expect(
          e.attributes.filter((a) => a.key === k),
          k,
        ).toHaveLength(1);
    });

    it('service events carry only the properties marked for them', () => {
      const alert = readLeefBySpec(
        renderCyberTraceFormat(settings.output.alertFormat!, settings, {
          values: { Date: 'Jan 18 11:07:53', Alert: 'KL_ALERT_OutdatedFeed' },
          context: [['feed', 'x.json']],
        }),
      );
      for (const p of props) expect(leefExpression(alert, p.key) !== undefined, p.key).toBe(p.inAlerts);
    });
  });
});
