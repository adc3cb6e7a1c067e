/**
 * DESIGN.md's round trip for FortiSIEM: both halves of the bundle come from one definition.
 * An event FortiSIEM forwards is parsed by the bundle's CyberTrace regexps (real PCRE), the
 * detection event is rendered with the bundle's EventFormat, and FortiSIEM's side (CEF) reads
 * back the same category, indicator, fields and context.
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, exampleSite } from '../helpers/bundles.js';
import { extractLikeCyberTrace } from '../../src/cybertrace/pcre.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { fortisiem } from '../../connectors/fortisiem/index.js';
import type { Indicator } from '../../src/model/events.js';

const site = exampleSite();
const settings = (await bundleFor('fortisiem', site)).settings;

const extractAll = (event: string) => extractLikeCyberTrace(settings.input.regexps, event);

const CASES: Array<{ indicator: Indicator; category: string; role: 'url' | 'dst_ip' | 'hash'; expected: string }> = [
  { indicator: { type: 'url', value: 'http://fakess123.nu' }, category: 'KL_Malicious_URL', role: 'url', expected: 'fakess123.nu' },
  { indicator: { type: 'ip', value: '192.0.2.0' }, category: 'KL_IP_Reputation', role: 'dst_ip', expected: '192.0.2.0' },
  {
    indicator: { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9' },
    category: 'KL_Malicious_Hash_MD5',
    role: 'hash',
    expected: 'C912705B4BBB14EC7E78FA8B370532C9',
  },
];

describe('FortiSIEM round trip', () => {
  it.each(CASES)('$indicator.type indicator survives forward → CyberTrace → FortiSIEM', ({ indicator, category, role, expected }) => {
    const forwarded = fortisiem.wire.forwardedEvent(indicator, site);
    const values = extractAll(forwarded);
    const context: Array<[string, string]> = [
      ['first_seen', '10.07.2015 23:53'],
      ['popularity', '5'],
      ['url', 'http://x/?a=1'],
    ];
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { ...values, Category: category, MatchedIndicator: expected },
      context,
      actionable: [['cs3', '75']],
    });
    const parsed = fortisiem.wire.parseEvent(line, site);
    expect(parsed.kind).toBe('detection');
    expect(parsed.fields.category).toBe(category);
    expect(parsed.fields.indicator).toBe(expected);
    expect(parsed.fields[role]).toBe(expected);
    expect(parsed.fields.src_ip).toBe('10.20.30.40');
    expect(parsed.fields.device_ip).toBe('10.20.30.1');
    expect(parsed.fields.user).toBe('ctconnect-verify');
    expect(parsed.fields.event_id).toBe('1001');
    expect(parsed.context).toEqual(context);
  });

  it('reads service events', () => {
    const line = renderCyberTraceFormat(settings.output.alertFormat!, settings, {
      values: { Alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
    expect(fortisiem.wire.parseEvent(line, site)).toEqual({
      kind: 'alert',
      fields: { alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
  });

  it('rejects events that are not from CyberTrace', () => {
    expect(() => fortisiem.wire.parseEvent('CEF:0|Fortinet|FortiGate|1|2|x|3|a=b', site)).toThrow(/not a CyberTrace event/);
  });

  it('matches the Kaspersky CyberTrace–FortiSIEM integration guide exactly', () => {
    expect(settings.output.eventFormat).toBe(
      'CEF:0|Kaspersky|CyberTrace|3.1|2|CyberTrace Detection Event|8|reason=%Category% dst=%RE_IP% src=%SRC_IP% dvc=%DeviceIp% fileHash=%RE_HASH% request=%RE_URL% sourceServiceName=%Device% sproc=%Product% suser=%UserName% externalId=%Id% %ActionableFields% cs5Label=MatchedIndicator cs5=%MatchedIndicator% msg=%RecordContext%',
    );
    expect(settings.output.alertFormat).toBe('CEF:0|Kaspersky|CyberTrace|3.1|1|CyberTrace Service Event|4|reason=%Alert% msg=%RecordContext%');
    expect(settings.input.regexps.map((r) => r.name)).toEqual(['RE_HASH', 'RE_IP', 'SRC_IP', 'RE_URL', 'Device', 'Product', 'Id', 'DeviceIp', 'UserName']);
    expect(settings.feedFieldRenames).toEqual({ RE_MD5: 'RE_HASH', RE_SHA1: 'RE_HASH', RE_SHA256: 'RE_HASH' });
    expect(settings.output.finishedEventEnabled).toBe(false);
    expect(settings.input.connectionString).toBe('192.0.2.10:9999');
    expect(settings.output.connectionString).toBe('192.0.2.30:514');
  });
});
