/**
 * The documented verification indicators: values the CyberTrace demo feeds detect (Kaspersky CyberTrace Help,
 * the shipped verification/kl_verification_test*.txt files). `ctconnect verify` sends each one
 * and checks that the answer carries the expected category.
 */
import type { Indicator } from '../model/events.js';

export interface FeedCheckIndicator extends Indicator {
  /** The feed that is expected to detect it, for the report. */
  feed: string;
}

export interface VerificationIndicator extends FeedCheckIndicator {
  /**
   * The detection category the answer must carry. The docs name the category of the botnet URL
   * (KL_BotnetCnC_URL); the others are the category of the feed that detects them, from the
   * category list of the CyberTrace help.
   */
  category: string;
}

/**
 * Every documented test indicator, once (Kaspersky CyberTrace Help: the verification values;
 * the vendor's public Splunk app: one per feed). `category` is set where the category of the
 * answer is known; `feedCheck` marks the vendor app's one-per-feed list.
 */
const TEST_INDICATORS: ReadonlyArray<FeedCheckIndicator & { category?: string; feedCheck?: true }> = [
  { type: 'url', value: 'http://fakess123.nu', feed: 'Malicious URL', category: 'KL_Malicious_URL', feedCheck: true },
  { type: 'url', value: 'http://fakess123bn.nu/', feed: 'Botnet C&C URL', category: 'KL_BotnetCnC_URL' },
  { type: 'url', value: 'http://test.phishing.example.com/psh/test?p=1&p=2', feed: 'Phishing URL', category: 'KL_Phishing_URL' },
  { type: 'url', value: 'http://test.mav.example.com?bad_url=1', feed: 'Mobile/Malicious URL', category: 'KL_Malicious_URL' },
  { type: 'url', value: 'http://fakess123ap.nu', feed: 'Phishing URL', feedCheck: true },
  { type: 'url', value: 'http://a7396d61caffe18a4cffbb3b428c9b60.com', feed: 'Botnet C&C URL', feedCheck: true },
  { type: 'ip', value: '192.0.2.0', feed: 'IP Reputation', category: 'KL_IP_Reputation', feedCheck: true },
  { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9', feed: 'Malicious Hash', category: 'KL_Malicious_Hash_MD5', feedCheck: true },
  { type: 'md5', value: 'A72C5B99F2706B00718279C9533A3648', feed: 'Mobile Malicious Hash', category: 'KL_Mobile_Malicious_Hash_MD5' },
  { type: 'sha1', value: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8', feed: 'Malicious Hash (SHA1)', category: 'KL_Malicious_Hash_SHA1' },
  { type: 'url', value: 'http://fakess123r.nu', feed: 'Ransomware URL', feedCheck: true },
  { type: 'md5', value: '60300A92E1D0A55C7FDD360EE40A9DC1', feed: 'Mobile Malicious Hash', feedCheck: true },
  { type: 'md5', value: '001F6251169E6916C455495050A3FB8D', feed: 'Mobile Botnet C&C', feedCheck: true },
  { type: 'url', value: 'http://5a015004f9fc05290d87e86d69c4b237.com', feed: 'DEMO Botnet C&C URL', feedCheck: true },
  { type: 'ip', value: '192.0.2.1', feed: 'DEMO IP Reputation', feedCheck: true },
  { type: 'md5', value: '776735A8CA96DB15B422879DA599F474', feed: 'DEMO Malicious Hash', feedCheck: true },
  { type: 'url', value: 'http://b046f5b25458638f6705d53539c79f62.com', feed: 'APT URL', feedCheck: true },
  { type: 'md5', value: '7A2E65A0F70EE0615EC0CA34240CF082', feed: 'APT Hash', feedCheck: true },
  { type: 'ip', value: '192.0.2.4', feed: 'APT IP', feedCheck: true },
  { type: 'url', value: 'http://e593461621ee0f9134c632d00bf108fd.com/.i', feed: 'IoT URL', feedCheck: true },
  { type: 'md5', value: 'D8C1F5B4AD32296649FF46027177C594', feed: 'Vulnerability', feedCheck: true },
  { type: 'md5', value: '7A8F30B40C6564EFF95E678F7C43346C', feed: 'ICS Hash', feedCheck: true },
];

const pick = ({ type, value, feed }: FeedCheckIndicator): FeedCheckIndicator => ({ type, value, feed });

/**
 * Sent besides the documented indicators: text real traffic carries that a SIEM may read wrongly.
 * The documented phishing URL already has a query with `=` and `&`; this one carries a user name
 * with a quote and a backslash, which the detection event repeats (a CONTEXT regexp of the
 * CEF bundles) and CyberTrace writes unescaped.
 */
export const TRAFFIC_INDICATORS: readonly VerificationIndicator[] = [
  { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9', user: 'CORP\\o"brien', feed: 'Malicious Hash', category: 'KL_Malicious_Hash_MD5' },
];

/** What `ctconnect verify` sends: the test indicators whose answer category is known, then the traffic ones. */
export const VERIFICATION_INDICATORS: readonly VerificationIndicator[] = [
  ...TEST_INDICATORS.flatMap((i) => (i.category ? [{ ...pick(i), category: i.category }] : [])),
  ...TRAFFIC_INDICATORS,
];

/**
 * One indicator per feed, as the vendor's Splunk app checks its feeds: each is expected to be
 * detected by the named feed. The Splunk app's `klsearch verification` is generated from this list.
 */
export const FEED_CHECK_INDICATORS: readonly FeedCheckIndicator[] = TEST_INDICATORS.filter((i) => i.feedCheck).map(pick);

/** The form in which an indicator shows up in a detection event (URLs without scheme, hashes compared case-insensitively). */
export function indicatorKey(value: string): string {
  return value
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/$/, '')
    .toLowerCase();
}
