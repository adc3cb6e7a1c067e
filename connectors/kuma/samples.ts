/** Sample values for the rendered example events (documented CyberTrace test indicators, Kaspersky CyberTrace Help). */
import type { Indicator, RenderedEventInput } from '../../src/connector/index.js';

export const SAMPLE_REQUESTS: Indicator[] = [
  { type: 'ip', value: '192.0.2.0' },
  { type: 'url', value: 'http://fakess123.nu' },
  { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9' },
];

export const SAMPLE_DETECTIONS: RenderedEventInput[] = [
  {
    values: { Category: 'KL_IP_Reputation', MatchedIndicator: '192.0.2.0' },
    context: [
      ['threat_score', '75'],
      ['category', 'spam'],
      ['first_seen', '10.07.2015 23:53'],
    ],
  },
  {
    values: { Category: 'KL_Malicious_URL', MatchedIndicator: 'fakess123.nu' },
    context: [
      ['mask', 'fakess123.nu'],
      ['popularity', '1'],
      ['last_seen', '04.10.2019 06:25'],
    ],
  },
  {
    values: { Category: 'KL_Malicious_Hash_MD5', MatchedIndicator: 'C912705B4BBB14EC7E78FA8B370532C9' },
    context: [
      ['file_type', 'PE'],
      ['file_size', '73728'],
    ],
  },
];

export const SAMPLE_ALERTS: RenderedEventInput[] = [
  {
    values: { Date: 'Apr 16 09:05:41', Alert: 'KL_ALERT_UpdatedFeed' },
    context: [
      ['feed', 'Phishing_URL_Data_Feed.json'],
      ['records', '200473'],
    ],
  },
  { values: { Date: 'Apr 16 09:06:02', Alert: 'KL_ALERT_ServiceStarted' }, context: [] },
];
