/** Site-file options of the Splunk connector (`siems.splunk`). */
import { absolutePath, hostAddress, type OptionsOf, portNumber, siteOptions } from '../../src/connector/index.js';

const appId = {
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9_]{0,79}$',
  description: 'a Splunk app id: a letter, then letters, digits and "_" (it is also the folder name)',
} as const;

const indexName = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9_-]{0,79}$',
  description: 'a Splunk index name (lowercase letters, digits, "_", "-"; not starting with "_" or "-")',
} as const;

export const splunkOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address'],
  properties: {
    address: hostAddress,
    scheme: { enum: ['single', 'distributed'], default: 'single' },
    input_port: { ...portNumber, default: 3000 },
    index: { ...indexName, default: 'main' },
    input_index: { ...indexName, default: 'main' },
    app_id: { ...appId, default: 'Kaspersky_CyberTrace_App_for_Splunk' },
    forwarder_app_id: { ...appId, default: 'Kaspersky_CyberTrace_Forwarder_for_Splunk' },
    splunk_home: { ...absolutePath, default: '/opt/splunk' },
    owner: {
      type: 'string',
      pattern: '^[a-z_][a-z0-9_.-]{0,31}(:[a-z_][a-z0-9_.-]{0,31})?$',
      default: 'splunk:splunk',
      description: 'user or user:group that owns $SPLUNK_HOME (e.g. splunk:splunk)',
    },
    lookup_timeout_sec: { type: 'integer', minimum: 1, maximum: 300, default: 10 },
  },
} as const;

export type SplunkOptions = OptionsOf<typeof splunkOptionsSchema>;
export const splunkOptions = siteOptions('splunk', splunkOptionsSchema);
