/**
 * The documented verification indicators: values the CyberTrace demo feeds detect (FACTS §1,
 * the shipped verification/kl_verification_test*.txt files). `ctconnect verify` sends each one.
 */
import type { Indicator } from '../../connectors/types.js';

export interface VerificationIndicator extends Indicator {
  /** The feed that is expected to detect it, for the report. */
  feed: string;
}

export const VERIFICATION_INDICATORS: readonly VerificationIndicator[] = [
  { type: 'url', value: 'http://fakess123.nu', feed: 'Malicious URL' },
  { type: 'url', value: 'http://fakess123bn.nu/', feed: 'Botnet CnC URL' },
  { type: 'url', value: 'http://test.phishing.example.com/psh/test?p=1&p=2', feed: 'Phishing URL' },
  { type: 'url', value: 'http://test.mav.example.com?bad_url=1', feed: 'Mobile/Malicious URL' },
  { type: 'ip', value: '192.0.2.0', feed: 'IP Reputation' },
  { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9', feed: 'Malicious Hash' },
  { type: 'md5', value: 'A72C5B99F2706B00718279C9533A3648', feed: 'Mobile Malicious Hash' },
  { type: 'sha1', value: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8', feed: 'Malicious Hash (SHA1)' },
];

/** The form in which an indicator shows up in a detection event (URLs without scheme, hashes compared case-insensitively). */
export function indicatorKey(value: string): string {
  return value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/$/, '').toLowerCase();
}
