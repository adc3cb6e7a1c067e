/** Site-file options of the QRadar connector (`siems.qradar`). */
import { consoleLabel as label, hostAddress, portNumber, type OptionsOf } from '../../src/connector/index.js';

/**
 * A log source identifier QRadar matches against the host of the syslog header: one word, as a
 * host name or address is (a space would end the syslog host field, so QRadar would never match it).
 */
const logSourceIdentifier = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$',
  description: 'a log source identifier: letters, digits, ".", "_", ":", "-", starting with a letter or digit, no spaces (at most 255)',
} as const;

const severity = { type: 'integer', minimum: 1, maximum: 10, description: 'a QRadar severity from 1 to 10' } as const;
const lowLevelCategory = { type: 'integer', minimum: 1, maximum: 99999, description: 'a QRadar low-level category ID (qidmap_cli.sh -l lists them)' } as const;

export const qradarOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    /** The QRadar appliance (Console or Event Collector) that receives CyberTrace's syslog events. */
    address: hostAddress,
    syslog_port: { ...portNumber, default: 514 },
    /** The QRadar Console for the REST API and qidmap_cli.sh (default: address). */
    console_address: hostAddress,
    log_source_identifier: { ...logSourceIdentifier, default: 'KL_Threat_Feed_Service_v2' },
    verification_log_source: { ...logSourceIdentifier, default: 'KL_Verification_Tool' },
    /**
     * The LEEF 2.0 attribute delimiter: one character that is not a letter, digit, space, "=",
     * "%" (CyberTrace placeholders) or "|" (the LEEF header). Printable, so that it can be typed in
     * CyberTrace Web and read in the settings sheet (a tab would also be a control character, which no
     * site value may hold).
     */
    delimiter: {
      type: 'string',
      default: '^',
      pattern: '^[!"#$&\'()*+,./:;<>?@\\[\\\\\\]^_`{}~-]$',
      description: 'one ASCII punctuation character other than "=", "%" and "|"',
    },
    forwarding_destination: { ...label, default: 'KL_Threat_Feed_Service_v2' },
    routing_rule: { ...label, default: 'KL_Threat_Feed_Service_v2_Rule' },
    /** Log sources whose events the routing rule forwards to CyberTrace (besides the verification log source). */
    forwarded_log_sources: { type: 'array', items: label, default: [] },
    detection_severity: { ...severity, default: 8 },
    service_severity: { ...severity, default: 3 },
    /** QID severity of single categories (category → 1-10); others take detection_severity. */
    category_severity: { type: 'object', propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,127}$' }, additionalProperties: severity, default: {} },
    /** Low-level categories of the QID map entries, per kind of detection category. */
    low_level_categories: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { ...lowLevelCategory, default: 7062 },
        botnet: { ...lowLevelCategory, default: 7061 },
        ip: { ...lowLevelCategory, default: 7058 },
        hash: { ...lowLevelCategory, default: 6007 },
        other: { ...lowLevelCategory, default: 7023 },
        service: { ...lowLevelCategory, default: 8036 },
      },
    },
  },
} as const;

export type QRadarOptions = OptionsOf<typeof qradarOptionsSchema>;
