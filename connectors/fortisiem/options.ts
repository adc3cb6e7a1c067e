/** Site-file options of the FortiSIEM connector (`siems.fortisiem`). */
import { consoleLabel as label, hostAddress, type OptionsOf, portNumber } from '../../src/connector/index.js';

export const fortisiemOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: hostAddress,
    syslog_port: { ...portNumber, default: 514 },
    organization: label,
    reporting_devices: { type: 'array', minItems: 1, items: label, default: ['All'] },
    event_types: { type: 'array', minItems: 1, items: label, default: ['All'] },
    source_ip: { type: 'string', format: 'ipv4', description: 'an IPv4 address' },
    destination_ip: { type: 'string', format: 'ipv4', description: 'an IPv4 address' },
    severity: label,
    regex_filter: {
      type: 'string',
      minLength: 1,
      maxLength: 1000,
      pattern: '^[^\\r\\n`]+$',
      description: 'a regular expression on one line, without backticks',
    },
    actionable_fields: {
      type: 'array',
      default: [{ feed: 'IP Reputation Data Feed', field: 'threat_score', cef_key: 'cs3' }],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['feed', 'field', 'cef_key'],
        properties: {
          feed: label,
          field: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$', description: 'a feed field name (letters, digits, "_", "-", ".")' },
          cef_key: {
            type: 'string',
            pattern: '^(cs[1-6]|cn[1-3]|flexString[12]|cfp[1-4]|deviceCustomDate[12])$',
            description: 'a custom CEF key: cs1…cs6, cn1…cn3, flexString1/2, cfp1…cfp4, deviceCustomDate1/2',
          },
        },
      },
    },
  },
} as const;

export type FortiSiemOptions = OptionsOf<typeof fortisiemOptionsSchema>;
