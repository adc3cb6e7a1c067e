/** ArcSight connector (CyberTrace help, "Integration with ArcSight"): CyberTrace ↔ ArcSight ESM over CEF. */
import {
  type BuildContext,
  type BundleFile,
  CEF_DETECTION,
  CEF_SERVICE_EVENT,
  defineConnector,
  fieldReference,
  sampleEventsText,
} from '../../src/connector/index.js';
import { CEF_HEADER, detectionEvent, EVENTS, NORMALIZING_RULE } from './contract.js';
import { arcsightOptionsSchema, type ArcSightOptions } from './options.js';
import { SAMPLE_ALERTS, SAMPLE_DETECTIONS } from './samples.js';
import { arcsightWire } from './wire.js';

/**
 * The ESM field each CEF key of the detection event lands in (CEF key → ArcSight field name, as in
 * the CEF specification), for the field reference.
 */
const ESM_FIELD: Record<string, string> = {
  reason: 'Reason',
  dst: 'Destination Address',
  src: 'Source Address',
  fileHash: 'File Hash',
  request: 'Request Url',
  sourceServiceName: 'Source Service Name',
  sproc: 'Source Process Name',
  suser: 'Source User Name',
  msg: 'Message',
  externalId: 'External ID',
  cs5Label: 'Device Custom String5 Label',
  cs5: 'Device Custom String5',
  cn3Label: 'Device Custom Number3 Label',
  cn3: 'Device Custom Number3',
  cs6Label: 'Device Custom String6 Label',
  cs6: 'Device Custom String6',
};

function files(base: BuildContext<ArcSightOptions>): BundleFile[] {
  const { options: o, settings, render } = base;
  const ctx = {
    ...base,
    as: o,
    cefVendor: CEF_HEADER.vendor,
    cefProduct: CEF_HEADER.product,
    detectionName: CEF_DETECTION.name,
    contextKey: fieldReference(detectionEvent).find((r) => r.role === 'context')!.key,
    alertName: CEF_SERVICE_EVENT.name,
    normalizing: NORMALIZING_RULE,
    managerAddress: o.manager_address ?? '(your ArcSight Manager)',
    hasManager: o.manager_address !== undefined,
    fields: fieldReference(detectionEvent).map((r) => ({ ...r, esm: ESM_FIELD[r.key] ?? r.key })),
  };
  return [
    { path: 'INSTALL.md', content: render('arcsight/INSTALL.md.hbs', ctx), mode: 0o644 },
    { path: 'arcsight/cef-fields.md', content: render('arcsight/cef-fields.md.hbs', ctx), mode: 0o644 },
    { path: 'arcsight/sample-events.cef', content: sampleEventsText(settings, 'the ArcSight SmartConnector', SAMPLE_DETECTIONS, SAMPLE_ALERTS), mode: 0o644 },
  ];
}

export const arcsight = defineConnector(arcsightOptionsSchema, {
  id: 'arcsight',
  title: 'ArcSight',
  summary: 'CyberTrace CEF settings for ArcSight, Forwarding Connector and SmartConnector guide, ESM field reference',
  siemVersions: 'ArcSight ESM with Forwarding Connector and SmartConnector (Syslog Daemon, CEF); CyberTrace help "Integration with ArcSight"',
  events: EVENTS,
  output: (o) => `${o.address}:${o.syslog_port}`,
  files,
  wire: arcsightWire,
});
