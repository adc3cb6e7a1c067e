/**
 * DESIGN.md's round trip for ArcSight: an event as the Forwarding Connector sends it is read by
 * the bundle's CyberTrace regexps (real PCRE), the detection is rendered with the bundle's
 * EventFormat, and the SmartConnector side (the shared CEF reader) reads back the same fields.
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, exampleSite } from '../helpers/bundles.js';
import { extractLikeCyberTrace } from '../../src/cybertrace/pcre.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { escapeExtensionValue, parseCef } from '../../src/formats/cef.js';
import { VERIFICATION_INDICATORS, indicatorKey } from '../../src/cybertrace/indicators.js';
import { arcsight } from '../../connectors/arcsight/index.js';
import { NORMALIZING_RULE } from '../../connectors/arcsight/contract.js';

const site = exampleSite();
const settings = (await bundleFor('arcsight', site)).settings;
const ROLE = { url: 'url', ip: 'dst_ip', md5: 'hash', sha1: 'hash', sha256: 'hash' } as const;
const REGEXP = { url: 'RE_URL', ip: 'DST_IP', md5: 'RE_HASH', sha1: 'RE_HASH', sha256: 'RE_HASH' } as const;

/** The forwarded event with every extension value escaped as a CEF sender must (`=` → `\=`). */
function escapedAsArcSightSends(event: string): string {
  const cef = parseCef(event);
  const head = event.slice(0, event.lastIndexOf('|') + 1);
  return head + cef.extensionOrder.map((k) => `${k}=${escapeExtensionValue(cef.extension[k])}`).join(' ');
}

const normalize = (event: string) => event.split(NORMALIZING_RULE.replace).join(NORMALIZING_RULE.with);

describe('ArcSight round trip', () => {
  it.each(VERIFICATION_INDICATORS)('$type $value survives Forwarding Connector → CyberTrace → SmartConnector', (indicator) => {
    const forwarded = arcsight.wire.forwardedEvent(indicator, site);
    const values = extractLikeCyberTrace(settings.input.regexps, forwarded);
    const expected = indicatorKey(indicator.value);
    expect(values[REGEXP[indicator.type]]?.toLowerCase().replace(/\/$/, '')).toBe(expected);
    const context: Array<[string, string]> = [
      ['first_seen', '10.07.2015 23:53'],
      ['popularity', '5'],
      ['url', 'http://x/?a=1'],
    ];
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { ...values, Category: indicator.category, MatchedIndicator: values[REGEXP[indicator.type]], Confidence: '100' },
      context,
      actionable: [['cn1', '75']],
    });
    const parsed = arcsight.wire.parseEvent(line, site);
    expect(parsed.kind).toBe('detection');
    expect(parsed.fields.category).toBe(indicator.category);
    expect(parsed.fields.indicator).toBe(values[REGEXP[indicator.type]]);
    expect(parsed.fields[ROLE[indicator.type]]).toBe(values[REGEXP[indicator.type]]);
    expect(parsed.fields).toMatchObject({
      device_ip: '10.20.30.1',
      device: 'Blue Coat',
      product: 'ProxySG',
      user: indicator.user ?? 'ctconnect-verify',
      event_id: '1001',
      confidence: '100',
    });
    expect(parsed.context).toEqual(context);
    // The actionable field is a CEF key of its own, and the fixed message names the category.
    const cef = parseCef(line);
    expect(cef.extension.cn1).toBe('75');
    expect(cef.extension.msg).toBe(`CyberTrace detected ${indicator.category}`);
  });

  it('the normalizing rule turns what the Forwarding Connector sends into what the regexps read', () => {
    const indicator = VERIFICATION_INDICATORS.find((i) => i.value.includes('='))!;
    const forwarded = arcsight.wire.forwardedEvent(indicator, site);
    const sent = escapedAsArcSightSends(forwarded);
    expect(sent).toContain('\\=');
    // Without the rule the URL keeps the escapes and is not the indicator; with it, it is.
    expect(extractLikeCyberTrace(settings.input.regexps, sent).RE_URL).not.toBe(indicatorKey(indicator.value));
    expect(normalize(sent)).toBe(forwarded);
    expect(extractLikeCyberTrace(settings.input.regexps, normalize(sent)).RE_URL).toBe(indicatorKey(indicator.value));
  });

  it('a regexp that found nothing ("-") is no field', () => {
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { Category: 'KL_IP_Reputation', MatchedIndicator: '192.0.2.0', DST_IP: '192.0.2.0' },
    });
    const parsed = arcsight.wire.parseEvent(line, site);
    expect(parsed.fields).toEqual({ category: 'KL_IP_Reputation', indicator: '192.0.2.0', dst_ip: '192.0.2.0' });
  });

  it('reads service events', () => {
    const line = renderCyberTraceFormat(settings.output.alertFormat!, settings, {
      values: { Alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
    expect(arcsight.wire.parseEvent(line, site)).toEqual({
      kind: 'alert',
      fields: { alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
  });

  it('rejects events that are not from CyberTrace for ArcSight', () => {
    expect(() => arcsight.wire.parseEvent('CEF:0|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|reason=x', site)).toThrow(/not a CyberTrace event/);
    expect(() => arcsight.wire.parseEvent('CEF:0|Kaspersky|Kaspersky CyberTrace for ArcSight|2.0|7|x|8| reason=x', site)).toThrow(/class id "7"/);
  });

  it('uses the vendor formats exactly (CyberTrace help, Integration with ArcSight)', () => {
    expect(settings.output.eventFormat).toBe(
      'CEF:0|Kaspersky|Kaspersky CyberTrace for ArcSight|2.0|2|CyberTrace Detection Event|8| reason=%Category% dst=%DST_IP% src=%DeviceIp% fileHash=%RE_HASH% request=%RE_URL% sourceServiceName=%Device% sproc=%Product% suser=%UserName% msg=CyberTrace detected %Category% externalId=%Id% %ActionableFields% cs5Label=MatchedIndicator cs5=%MatchedIndicator% cn3Label=Confidence cn3=%Confidence% cs6Label=Context cs6=%RecordContext%',
    );
    expect(settings.output.alertFormat).toBe(
      'CEF:0|Kaspersky|Kaspersky CyberTrace for ArcSight|2.0|1|CyberTrace Service Event|4| reason=%Alert% msg=%RecordContext%',
    );
    expect(NORMALIZING_RULE).toEqual({ replace: '\\=', with: '=' });
    expect(settings.input.connectionString).toBe('192.0.2.10:9999');
    expect(settings.output.connectionString).toBe('192.0.2.50:514');
  });
});
