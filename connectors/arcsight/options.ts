/** Site-file options of the ArcSight connector (`siems.arcsight`). */
import { consoleLabel as label, hostAddress, type OptionsOf, portNumber } from '../../src/connector/index.js';

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

export type ArcSightOptions = OptionsOf<typeof arcsightOptionsSchema>;
