/**
 * DESIGN.md's round trip for QRadar: a device payload as QRadar forwards it (Payload format) is
 * read by the bundle's CyberTrace regexps (real PCRE), the detection is rendered with the
 * bundle's EventFormat, and the QRadar side reads back the same fields — both with the project's
 * reader and with an independent reader written from IBM's LEEF specification.
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, exampleSite, siteFromYaml } from '../helpers/bundles.js';
import { extractLikeCyberTrace, pcreExtract } from '../../src/cybertrace/pcre.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { contractFields } from '../../src/cybertrace/event-contract.js';
import { VERIFICATION_INDICATORS, indicatorKey } from '../../src/cybertrace/indicators.js';
import { qradar } from '../../connectors/qradar/index.js';
import { customProperties, detectionEvent, PREDEFINED_KEYS } from '../../connectors/qradar/contract.js';
import { qradarOptions } from '../../connectors/qradar/wire.js';
import { leefExpression, readLeefBySpec } from './leef-spec-reader.js';

const site = exampleSite();
const settings = (await bundleFor('qradar', site)).settings;
const o = qradarOptions(site);
const ROLE = { url: 'url', ip: 'dst_ip', md5: 'md5', sha1: 'sha1', sha256: 'sha256' } as const;
const REGEXP = { url: 'RE_URL', ip: 'DST_IP', md5: 'RE_MD5', sha1: 'RE_SHA1', sha256: 'RE_SHA256' } as const;

describe('QRadar round trip', () => {
  it.each(VERIFICATION_INDICATORS)('$type $value survives QRadar Payload forwarding → CyberTrace → Universal LEEF', (indicator) => {
    const forwarded = qradar.wire.forwardedEvent(indicator, site);
    const values = extractLikeCyberTrace(settings.input.regexps, forwarded);
    expect(values[REGEXP[indicator.type]]?.toLowerCase().replace(/\/$/, '')).toBe(indicatorKey(indicator.value));
    const context: Array<[string, string]> = [
      ['first_seen', '10.07.2015 23:53'],
      ['popularity', '5'],
      ['url', 'http://x/?a=1'],
    ];
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { ...values, Date: 'Jan  6 11:07:53', Category: indicator.category, MatchedIndicator: values[REGEXP[indicator.type]], Confidence: '100' },
      context,
      actionable: [['threat_score', '75']],
    });
    const parsed = qradar.wire.parseEvent(line, site);
    expect(parsed.kind).toBe('detection');
    expect(parsed.fields.category).toBe(indicator.category);
    expect(parsed.fields.indicator).toBe(values[REGEXP[indicator.type]]);
    expect(parsed.fields[ROLE[indicator.type]]).toBe(values[REGEXP[indicator.type]]);
    expect(parsed.fields).toMatchObject({
      src_ip: '10.20.30.40',
      user: indicator.user ?? 'ctconnect-verify',
      device: 'proxy-1',
      product: 'ProxySG',
      confidence: '100',
    });
    expect(parsed.context).toEqual(context);

    // The same event as IBM's specification reads it: log source by syslog host, QID keys, actionable field as its own key.
    const spec = readLeefBySpec(line);
    expect(spec.syslog).toMatchObject({ host: 'KL_Threat_Feed_Service_v2', timestamp: 'Jan  6 11:07:53', rfc: 3164, pri: 12 });
    expect(spec).toMatchObject({ version: '2.0', vendor: 'Kaspersky', product: 'CyberTrace', eventId: 'Detection', delimiter: '^', stray: [] });
    expect(leefExpression(spec, 'cat')).toBe(indicator.category);
    expect(leefExpression(spec, 'sev')).toBe(String(o.detection_severity));
    expect(leefExpression(spec, 'threat_score')).toBe('75');
    expect(leefExpression(spec, 'recordContext')).toBe('first_seen:10.07.2015 23:53 popularity:5 url:http://x/?a=1 ');
  });

  it('every placeholder of the detection event has a LEEF key that both readers read back', () => {
    const fields = contractFields(detectionEvent(o));
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: Object.fromEntries(fields.map((f) => [f.placeholder, f.placeholder === 'Date' ? 'Dec 24 23:59:59' : `v-${f.placeholder}`])),
      context: [['k', 'v']],
    });
    const parsed = qradar.wire.parseEvent(line, site);
    const spec = readLeefBySpec(line);
    for (const f of fields) {
      if (f.role === 'context' || f.role === 'actionable' || f.role === 'date') continue;
      expect(parsed.fields[f.role], f.placeholder).toBe(`v-${f.placeholder}`);
      expect(leefExpression(spec, f.key!), f.placeholder).toBe(`v-${f.placeholder}`);
    }
    // Keys are IBM's predefined ones or custom properties of the bundle: none is left without a property.
    const custom = new Set(customProperties().map((p) => p.key));
    for (const a of spec.attributes) expect(PREDEFINED_KEYS[a.key] !== undefined || custom.has(a.key), a.key).toBe(true);
    for (const k of custom) expect(PREDEFINED_KEYS[k], k).toBeUndefined();
  });

  it('a regexp that found nothing ("-") is no field', () => {
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { Date: 'Jan 18 11:07:53', Category: 'KL_IP_Reputation', MatchedIndicator: '192.0.2.0', DST_IP: '192.0.2.0' },
    });
    expect(qradar.wire.parseEvent(line, site).fields).toEqual({
      date: 'Jan 18 11:07:53',
      category: 'KL_IP_Reputation',
      indicator: '192.0.2.0',
      dst_ip: '192.0.2.0',
    });
  });

  it('reads service events', () => {
    const line = renderCyberTraceFormat(settings.output.alertFormat!, settings, {
      values: { Date: 'Jan 18 11:07:53', Alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
    expect(qradar.wire.parseEvent(line, site)).toEqual({
      kind: 'alert',
      fields: { date: 'Jan 18 11:07:53', alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
    expect(readLeefBySpec(line)).toMatchObject({
      eventId: 'ServiceEvent',
      attributes: [{ key: 'cat', value: 'KL_ALERT_UpdatedFeed' }, { key: 'sev', value: '3' }, { key: 'recordContext' }],
    });
  });

  it('rejects events another log source, product or event id would carry', () => {
    const good = renderCyberTraceFormat(settings.output.alertFormat!, settings, { values: { Date: 'Jan 18 11:07:53', Alert: 'KL_ALERT_ServiceStarted' } });
    expect(() => qradar.wire.parseEvent(good.replace('KL_Threat_Feed_Service_v2', 'other-host'), site)).toThrow(/log source "KL_Threat_Feed_Service_v2"/);
    expect(() => qradar.wire.parseEvent(good.replace('|CyberTrace|', '|Other|'), site)).toThrow(/not a CyberTrace event/);
    expect(() => qradar.wire.parseEvent(good.replace('|ServiceEvent|', '|Other|'), site)).toThrow(/unknown EventID "Other"/);
    expect(() => qradar.wire.parseEvent(good.replace('sev=3', 'sev=4'), site)).toThrow(/"sev" should be "3"/);
  });

  it('writes the log source identifier, delimiter and severities the site sets into both formats', async () => {
    const s = siteFromYaml(
      `cybertrace:\n  address: 10.0.0.5\nsiems:\n  qradar:\n    address: 10.0.0.6\n    log_source_identifier: ct-lab.example\n    delimiter: ';'\n    detection_severity: 9\n    service_severity: 2\n`,
    );
    const st = qradar.cybertrace(s);
    expect(st.output.eventFormat.startsWith('<12>%Date% ct-lab.example LEEF:2.0|Kaspersky|CyberTrace|1.0|Detection|;|cat=%Category%;sev=9;src=%SRC_IP%;')).toBe(
      true,
    );
    expect(st.output.alertFormat).toBe(
      '<13>%Date% ct-lab.example LEEF:2.0|Kaspersky|CyberTrace|1.0|ServiceEvent|;|cat=%Alert%;sev=2;recordContext=%RecordContext%',
    );
    expect(st.output.actionableFieldContextFormat).toBe(';%ParamName%=%ParamValue%');
    expect(st.output.finishedEventEnabled).toBe(false);
    expect(st.feedFieldRenames).toEqual({});
  });

  it.each(['^', ';', '#', '\\', ']', '-', '~'])('with delimiter %s the user, device and product regexps (PCRE) stop before it', (d) => {
    const s = siteFromYaml(`cybertrace:\n  address: 10.0.0.5\nsiems:\n  qradar:\n    address: 10.0.0.6\n    delimiter: '${d === '\\' ? '\\' : d}'\n`);
    const regexps = qradar.cybertrace(s).input.regexps;
    const payload = `<134>Jan  1 00:00:00 host${d}x LEEF:1.0|Blue Coat|Proxy${d}SG|6.7|1|usrName=jd${d}oe\tsrc=10.1.2.3`;
    const re = (name: string) => regexps.find((r) => r.name === name)!;
    expect(pcreExtract(re('UserName').pattern, payload, 'first')).toEqual(['jd']);
    expect(pcreExtract(re('Device').pattern, payload, 'first')).toEqual(['host']);
    expect(pcreExtract(re('Product').pattern, payload, 'first')).toEqual([]);
    expect(pcreExtract(re('SRC_IP').pattern, payload, 'first')).toEqual(['10.1.2.3']);
  });
});
