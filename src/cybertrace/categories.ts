/**
 * Detection categories of the Kaspersky Threat Data Feeds as they appear in CyberTrace detection
 * events (%Category%). Titles are the event names shown in the SIEM. Custom feeds can use any
 * category name; those come from the site file.
 */
export interface KnownCategory {
  name: string;
  title: string;
  /** 'all' for every version family, else the families that ship it. */
  versions: 'all' | Array<'3.x' | '4.x'>;
}

export const KASPERSKY_CATEGORIES: readonly KnownCategory[] = [
  { name: 'KL_Malicious_URL', title: 'Malicious URL detected', versions: 'all' },
  { name: 'KL_Phishing_URL', title: 'Phishing URL detected', versions: 'all' },
  { name: 'KL_BotnetCnC_URL', title: 'Botnet CnC URL detected', versions: 'all' },
  { name: 'KL_IP_Reputation', title: 'IP reputation detected', versions: 'all' },
  { name: 'KL_Malicious_Hash_MD5', title: 'Malicious hash (MD5) detected', versions: 'all' },
  { name: 'KL_Mobile_Malicious_Hash_MD5', title: 'Mobile malicious hash (MD5) detected', versions: 'all' },
  { name: 'KL_P_SMS_Trojan_Hash_MD5', title: 'P-SMS Trojan hash (MD5) detected', versions: 'all' },
  { name: 'KL_Mobile_BotnetCnC_URL', title: 'Mobile botnet CnC URL detected', versions: 'all' },
  { name: 'KL_Ransomware_URL', title: 'Ransomware URL detected', versions: 'all' },
  { name: 'KL_APT_URL', title: 'APT URL detected', versions: 'all' },
  { name: 'KL_APT_IP', title: 'APT IP detected', versions: 'all' },
  { name: 'KL_APT_Hash_MD5', title: 'APT hash (MD5) detected', versions: 'all' },
  { name: 'KL_APT_Hash_SHA1', title: 'APT hash (SHA1) detected', versions: 'all' },
  { name: 'KL_APT_Hash_SHA256', title: 'APT hash (SHA256) detected', versions: 'all' },
  { name: 'KL_ICS_Hash_MD5', title: 'ICS hash (MD5) detected', versions: 'all' },
  { name: 'KL_ICS_Hash_SHA1', title: 'ICS hash (SHA1) detected', versions: 'all' },
  { name: 'KL_ICS_Hash_SHA256', title: 'ICS hash (SHA256) detected', versions: 'all' },
  { name: 'KL_IoT_URL', title: 'IoT URL detected', versions: 'all' },
  { name: 'KL_IoT_Hash_MD5', title: 'IoT hash (MD5) detected', versions: 'all' },
  { name: 'KL_IoT_Hash_SHA1', title: 'IoT hash (SHA1) detected', versions: 'all' },
  { name: 'KL_IoT_Hash_SHA256', title: 'IoT hash (SHA256) detected', versions: 'all' },
  { name: 'KL_InternalTI_URL', title: 'Internal TI URL detected', versions: 'all' },
  { name: 'KL_InternalTI_IP', title: 'Internal TI IP detected', versions: 'all' },
  { name: 'KL_InternalTI_Hash_MD5', title: 'Internal TI hash (MD5) detected', versions: 'all' },
  { name: 'KL_InternalTI_Hash_SHA1', title: 'Internal TI hash (SHA1) detected', versions: 'all' },
  { name: 'KL_InternalTI_Hash_SHA256', title: 'Internal TI hash (SHA256) detected', versions: 'all' },
  { name: 'KL_BotnetCnC_Hash_MD5', title: 'Botnet CnC hash (MD5) detected', versions: ['3.x'] },
  { name: 'KL_BotnetCnC_Hash_SHA1', title: 'Botnet CnC hash (SHA1) detected', versions: ['3.x'] },
  { name: 'KL_BotnetCnC_Hash_SHA256', title: 'Botnet CnC hash (SHA256) detected', versions: ['3.x'] },
];

/** The categories a site uses by default: the ones of the demo and commercial feeds of every version. */
export const DEFAULT_CATEGORY_NAMES: string[] = KASPERSKY_CATEGORIES.filter((c) => c.versions === 'all').map((c) => c.name);

export function categoryTitle(name: string, customTitle?: string): string {
  if (customTitle) return customTitle;
  return KASPERSKY_CATEGORIES.find((c) => c.name === name)?.title ?? `${name} detected`;
}
