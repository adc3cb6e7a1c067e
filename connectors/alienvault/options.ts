/** Site-file options of the AlienVault USM / OSSIM connector (`siems.alienvault`). */
import { absolutePath, categoryName, hostAddress, ipv4Address, portNumber } from '../../src/config/schema.js';
import { retiredSidsSchema, type TranslationOption } from './translations.js';
import { DEFAULT_PRODUCT_TYPE } from './product-types.js';

export interface AlienVaultDevice {
  /** Address the device's syslog arrives from ($fromhost-ip). */
  ip: string;
  /** For the comments of the rsyslog rule and INSTALL.md. */
  name?: string;
}

export interface AlienVaultOptions {
  /** Where CyberTrace sends its events (the AlienVault rsyslog). */
  address: string;
  syslog_port: number;
  /** Address CyberTrace's events arrive from, as rsyslog sees it; default: cybertrace.address when that is an IPv4 address. */
  cybertrace_source_ip?: string;
  devices: AlienVaultDevice[];
  /** Network interface omfwd sends from (Device=), e.g. eth0. */
  interface?: string;
  /** Optional omfile copy of every forwarded event (seed 001: useful while testing, remove afterwards). */
  forward_copy_file?: string;
  /** Size of the forwarding action's own queue: events beyond it are dropped instead of stalling rsyslog. */
  forward_queue_size: number;
  log_file: string;
  logrotate: { period: 'daily' | 'weekly' | 'monthly'; rotate: number };
  /** plugin_sid columns of every row (seed 001: 15, 71, 5, 8). */
  category_id: number;
  subcategory_id: number;
  priority: number;
  reliability: number;
  /** Priority / reliability of the service-event row; default: priority / reliability. */
  service_priority?: number;
  service_reliability?: number;
  /** plugin.product_type: an id of OSSIM's product_type table (product-types.ts); default 21, "Other Devices". */
  product_type: number;
  translations: TranslationOption[];
  /** SIDs of removed categories, never handed out again by `ctconnect categories add`. */
  retired_sids: number[];
}

const taxonomyId = { type: 'integer', minimum: 0, maximum: 2147483647 } as const;

export const alienvaultOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address', 'devices'],
  properties: {
    address: hostAddress,
    syslog_port: { ...portNumber, default: 514 },
    cybertrace_source_ip: ipv4Address,
    devices: {
      type: 'array',
      minItems: 1,
      description: 'devices whose syslog is forwarded to CyberTrace',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['ip'],
        properties: {
          ip: ipv4Address,
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 _.:()/-]{0,63}$', description: 'device name: letters, digits, spaces, "_", ".", ":", "(", ")", "/", "-"' },
        },
      },
    },
    interface: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}$', description: 'network interface name such as eth0' },
    forward_copy_file: absolutePath,
    forward_queue_size: { type: 'integer', minimum: 100, maximum: 10000000, default: 100000 },
    log_file: { ...absolutePath, default: '/var/log/kaspersky_cyberTrace.log' },
    logrotate: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        period: { enum: ['daily', 'weekly', 'monthly'], default: 'monthly' },
        rotate: { type: 'integer', minimum: 1, maximum: 3650, default: 3 },
      },
    },
    category_id: { ...taxonomyId, default: 15 },
    subcategory_id: { ...taxonomyId, default: 71 },
    priority: { type: 'integer', minimum: 0, maximum: 5, default: 5 },
    reliability: { type: 'integer', minimum: 0, maximum: 10, default: 8 },
    service_priority: { type: 'integer', minimum: 0, maximum: 5 },
    service_reliability: { type: 'integer', minimum: 0, maximum: 10 },
    product_type: { type: 'integer', minimum: 0, maximum: 2147483647, default: DEFAULT_PRODUCT_TYPE, description: "an id of OSSIM's product_type table, e.g. 21 (Other Devices)" },
    translations: {
      type: 'array',
      default: [],
      description: 'category → SID pins (managed with `ctconnect categories`; the event name is the category\'s title)',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['category'],
        properties: {
          category: categoryName,
          sid: { type: 'integer', minimum: 1, maximum: 2147483647 },
          // Read only to refuse it with where the title lives now (categories.ts, oldNamePins).
          name: { type: 'string' },
        },
      },
    },
    retired_sids: retiredSidsSchema,
  },
} as const;
