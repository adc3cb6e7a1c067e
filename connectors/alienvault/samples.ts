/** Sample events (documented CyberTrace test indicators) for the bundle's sample file and the tests. */
import type { RenderedEventInput } from '../../src/connector/index.js';

/** The RAW LOG line of the Kaspersky CyberTrace–AlienVault integration guide (Picture 3), as rsyslog wrote it to /var/log/kaspersky_cyberTrace.log. */
export const SEED_RAW_LOG_LINE =
  'Jun 27 08:50:19 10.69.89.24 category=KL_Phishing_URL detected=e77716a952f640b42e4371759a661663.com url=e77716a952f640b42e4371759a661663.com src=192.168.0.0 ip=- hash=- context= first_seen=10.07.2015 23:53 id=999999999 last_seen=04.10.2019 06:25 mask=e77716a952f640b42e4371759a661663.com popularity=1 type=1#015';

export const SAMPLE_DETECTIONS: RenderedEventInput[] = [
  {
    values: { Category: 'KL_Malicious_URL', MatchedIndicator: 'fakess123.nu', RE_URL: 'fakess123.nu', SRC_IP: '10.20.30.40' },
    context: [
      ['first_seen', '10.07.2015 23:53'],
      ['last_seen', '04.10.2019 06:25'],
      ['popularity', '1'],
    ],
  },
  {
    values: { Category: 'KL_IP_Reputation', MatchedIndicator: '192.0.2.0', RE_IP: '192.0.2.0' },
    context: [
      ['threat_score', '75'],
      ['category', 'spam'],
    ],
  },
  {
    values: {
      Category: 'KL_Malicious_Hash_MD5',
      MatchedIndicator: 'C912705B4BBB14EC7E78FA8B370532C9',
      RE_MD5: 'C912705B4BBB14EC7E78FA8B370532C9',
      SRC_IP: '10.20.30.42',
    },
    context: [['file_name', 'invoice.exe']],
  },
];

export const SAMPLE_ALERTS: RenderedEventInput[] = [
  {
    values: { Alert: 'KL_ALERT_UpdatedFeed' },
    context: [
      ['feed', 'Phishing_URL_Data_Feed.json'],
      ['records', '200473'],
    ],
  },
  { values: { Alert: 'KL_ALERT_ServiceStarted' }, context: [] },
];
