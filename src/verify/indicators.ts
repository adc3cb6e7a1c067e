/**
 * The documented verification indicators: values the CyberTrace demo feeds detect (FACTS §1,
 * the shipped verification/kl_verification_test*.txt files). `ctconnect verify` sends each one
 * and checks that the answer carries the expected category.
 */
import type { Indicator } from '../../connectors/types.js';

export interface VerificationIndicator extends Indicator {
  /** The feed that is expected to detect it, for the report. */
  feed: string;
  /**
   * The detection category the answer must carry. The docs name the category of the botnet URL
   * (KL_BotnetCnC_URL); the others are the category of the feed that detects them, from the
   * category list of the CyberTrace help.
   */
  category: string;
}

export const VERIFICATION_INDICATORS: readonly VerificationIndicator[] = [
  { type: 'url', value: 'http://fakess123.nu', feed: 'Malicious URL', category: 'KL_Malicious_URL' },
  { type: 'url', value: 'http://fakess123bn.nu/', feed: 'Botnet CnC URL', category: 'KL_BotnetCnC_URL' },
  { type: 'url', value: 'http://test.phishing.example.com/psh/test?p=1&p=2', feed: 'Phishing URL', category: 'KL_Phishing_URL' },
  { type: 'url', value: 'http://test.mav.example.com?bad_url=1', feed: 'Mobile/Malicious URL', category: 'KL_Malicious_URL' },
  { type: 'ip', value: '192.0.2.0', feed: 'IP Reputation', category: 'KL_IP_Reputation' },
  { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9', feed: 'Malicious Hash', category: 'KL_Malicious_Hash_MD5' },
  { type: 'md5', value: 'A72C5B99F2706B00718279C9533A3648', feed: 'Mobile Malicious Hash', category: 'KL_Mobile_Malicious_Hash_MD5' },
  { type: 'sha1', value: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8', feed: 'Malicious Hash (SHA1)', category: 'KL_Malicious_Hash_SHA1' },
];

/** The form in which an indicator shows up in a detection event (URLs without scheme, hashes compared case-insensitively). */
export function indicatorKey(value: string): string {
  return value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/$/, '').toLowerCase();
}
