/** Sample values for the rendered example events (documented CyberTrace test indicators). */
import type { RenderedEventInput } from '../../src/connector/index.js';

export const SAMPLE_DETECTIONS: RenderedEventInput[] = [
  {
    values: {
      Date: 'Apr 16 09:05:41',
      Category: 'KL_Malicious_URL',
      MatchedIndicator: 'fakess123.nu',
      RE_URL: 'fakess123.nu',
      SRC_IP: '10.20.30.40',
      RE_USERNAME: 'jdoe',
    },
    context: [
      ['first_seen', '10.07.2015 23:53'],
      ['last_seen', '04.10.2019 06:25'],
      ['popularity', '1'],
    ],
  },
  {
    values: { Date: 'Apr 16 09:05:42', Category: 'KL_IP_Reputation', MatchedIndicator: '192.0.2.0', RE_IP: '192.0.2.0', SRC_IP: '10.20.30.41' },
    context: [
      ['threat_score', '75'],
      ['category', 'spam'],
    ],
  },
  {
    values: {
      Date: 'Apr 16 09:05:43',
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
    values: { Date: 'Apr 16 09:05:41', Alert: 'KL_ALERT_UpdatedFeed' },
    context: [
      ['feed', 'Phishing_URL_Data_Feed.json'],
      ['records', '200473'],
    ],
  },
  { values: { Date: 'Apr 16 09:10:00', Alert: 'KL_ALERT_OutdatedFeed' }, context: [['feed', 'Malicious_URL_Data_Feed.json']] },
];
