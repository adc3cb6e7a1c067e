/** Site-file options of the ArcSight connector (`siems.arcsight`). */
import { hostAddress, portNumber } from '../../src/config/schema.js';

export interface ArcSightOptions {
  /** The host of the SmartConnector (Syslog Daemon, CEF) that receives CyberTrace's events. */
  address: string;
  /** Its Raw TCP listener port. */
  syslog_port: number;
  /** The ArcSight Manager the Forwarding Connector reads events from (the ESM host). */
  manager_address?: string;
  manager_port: number;
  /** The ESM user of type Forwarding Connector (the vendor's ARB package creates FwdCyberTrace). */
  forwarding_user: string;
  /** The ESM filter that selects the events forwarded to CyberTrace. */
  forwarding_filter: string;
}

const label = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\r\\n|`]+$', description: 'text without line breaks, "|" or backticks' } as const;

export const arcsightOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: hostAddress,
    syslog_port: { ...portNumber, default: 514 },
    manager_address: hostAddress,
    manager_port: { ...portNumber, default: 8443 },
    forwarding_user: { ...label, default: 'FwdCyberTrace' },
    forwarding_filter: { ...label, default: 'CyberTrace forwarding events' },
  },
} as const;
