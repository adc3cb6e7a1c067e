/**
 * Rows of OSSIM's `product_type` table (ossim-mysql data of AlienVault 5.x, "Data: Product
 * Types"). `plugin.product_type` must name one of them: the web interface joins on it, and a
 * plugin whose product type is not a row shows an unknown product type and is left out of the
 * by-product charts. the Kaspersky CyberTrace–AlienVault integration guide screenshot shows Kaspersky CyberTrace as "Other Devices".
 */
export const PRODUCT_TYPES: ReadonlyArray<readonly [id: number, name: string]> = [
  [1, 'Alarm'],
  [2, 'Anomaly Detection'],
  [3, 'Antivirus'],
  [4, 'Application'],
  [5, 'Application Firewall'],
  [6, 'Authentication and DHCP'],
  [7, 'Data Protection'],
  [8, 'Database'],
  [9, 'Endpoint Security'],
  [10, 'Firewall'],
  [11, 'Honeypot'],
  [12, 'Infrastructure Monitoring'],
  [13, 'Intrusion Detection'],
  [14, 'Intrusion Prevention'],
  [15, 'Mail Security'],
  [16, 'Mail Server'],
  [17, 'Management Platform'],
  [18, 'Network Access Control'],
  [19, 'Network Discovery'],
  [20, 'Operating System'],
  [21, 'Other Devices'],
  [22, 'Proxy'],
  [23, 'Remote Application Access'],
  [24, 'Router/Switch'],
  [25, 'Server'],
  [26, 'Unified threat management'],
  [27, 'VPN'],
  [28, 'Vulnerability Scanner'],
  [29, 'Web Server'],
  [30, 'Wireless Security/Management'],
];

export const DEFAULT_PRODUCT_TYPE = 21;

export function productTypeName(id: number): string | undefined {
  return PRODUCT_TYPES.find(([i]) => i === id)?.[1];
}

/** Why `id` cannot be plugin.product_type, or undefined. */
export function productTypeProblem(id: number): string | undefined {
  if (productTypeName(id) !== undefined) return undefined;
  return `${id} is not a row of OSSIM's product_type table, so the web interface would show an unknown product type; use one of ${PRODUCT_TYPES.map(([i, n]) => `${i} (${n})`).join(', ')}`;
}
