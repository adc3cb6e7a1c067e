/** Site-file options of the AlienVault USM / OSSIM connector (`siems.alienvault`). */
import { absolutePath, categoryName, hostAddress, ipv4Address, type OptionsOf, portNumber, siteOptions } from '../../src/connector/index.js';
import { retiredSidsSchema } from './translations.js';
import { DEFAULT_PRODUCT_TYPE } from './product-types.js';

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
          name: {
            type: 'string',
            pattern: '^[A-Za-z0-9][A-Za-z0-9 _.:()/-]{0,63}$',
            description: 'device name: letters, digits, spaces, "_", ".", ":", "(", ")", "/", "-"',
          },
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
    product_type: {
      type: 'integer',
      minimum: 0,
      maximum: 2147483647,
      default: DEFAULT_PRODUCT_TYPE,
      description: "an id of OSSIM's product_type table, e.g. 21 (Other Devices)",
    },
    translations: {
      type: 'array',
      default: [],
      description: "category → SID pins (managed with `ctconnect categories`; the event name is the category's title)",
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

export type AlienVaultOptions = OptionsOf<typeof alienvaultOptionsSchema>;
export const alienvaultOptions = siteOptions('alienvault', alienvaultOptionsSchema);
