/**
 * Where the URL of KUMA's enrichment rule points on the CyberTrace side, for each source kind and
 * "Major version of CyberTrace". One table, used for the default of the rule's URL and for the
 * table in INSTALL.md, so both say the same thing.
 *
 * What the documents say: the KUMA help (the Kaspersky CyberTrace–KUMA integration guide, and its cybertrace-http pages of 3.2 and 4.0)
 * gives `example.domain.com:9999` as the URL for both source kinds, and says that with "≥ 5"
 * KUMA uses the CyberTrace 5.0 API, in the General tenant, over HTTP. CyberTrace serves that
 * HTTP lookup API where CyberTrace Web listens (`GUISettings > HTTPServer > ConnectionString` in
 * 4.x, `ServiceSettings > HTTPServer > ConnectionString` in 5.0; port 443 by default, the Kaspersky CyberTrace–KUMA integration guide).
 * What the KUMA help leaves open is said in `open`.
 */
import { httpApiUrl, type Site } from '../../src/connector/index.js';

/** The CyberTrace versions whose lookup endpoints differ for KUMA. */
export const CYBERTRACE_MAJOR_VERSIONS = ['<5', '>=5'] as const;
export type CyberTraceMajor = (typeof CYBERTRACE_MAJOR_VERSIONS)[number];

export type SourceKind = 'cybertrace' | 'cybertrace-http';

export interface RuleEndpoint {
  sourceKind: SourceKind;
  major: CyberTraceMajor;
  /** Which CyberTrace listener: the input port or the HTTP server of CyberTrace Web. */
  target: 'input' | 'http-server';
  /** The CyberTrace setting the rule's URL must match. */
  setting: string;
  /** host:port of that setting for the site. */
  hostPort(site: Site): string;
  /** Whether KUMA sends credentials (the rule's Secret) on this path. */
  needsSecret: boolean;
  /** What the KUMA help does not settle for this row; absent = documented. */
  open?: string;
}

const INPUT = 'InputSettings > ConnectionString (the input port; the service listens on it)';

function inputPort(site: Site): string {
  return `${site.cybertrace.address}:${site.cybertrace.input_port}`;
}

/** host:port of cybertrace.http_api.url (default https://<address>:443). */
export function httpServer(site: Site): string {
  const url = new URL(httpApiUrl(site));
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
}

export const RULE_ENDPOINTS: readonly RuleEndpoint[] = [
  { sourceKind: 'cybertrace', major: '<5', target: 'input', setting: INPUT, hostPort: inputPort, needsSecret: false },
  {
    sourceKind: 'cybertrace',
    major: '>=5',
    target: 'input',
    setting: INPUT,
    hostPort: inputPort,
    needsSecret: false,
    open: 'the KUMA help describes the "Major version of CyberTrace" switch only for cybertrace-http',
  },
  {
    sourceKind: 'cybertrace-http',
    major: '<5',
    target: 'input',
    setting: INPUT,
    hostPort: inputPort,
    needsSecret: true,
    open: 'the KUMA help gives host:9999 (the input port) as the example URL, but does not say whether KUMA speaks to the input port or to the CyberTrace 4.x HTTP server (GUISettings > HTTPServer > ConnectionString) with this kind; this bundle follows the example',
  },
  {
    sourceKind: 'cybertrace-http',
    major: '>=5',
    target: 'http-server',
    setting: 'ServiceSettings > HTTPServer > ConnectionString (where CyberTrace Web and its HTTP lookup API listen; cybertrace.http_api.url)',
    hostPort: httpServer,
    needsSecret: true,
    open: 'the KUMA help says KUMA uses the CyberTrace 5.0 API over HTTP in the General tenant, yet still shows host:9999 as the example URL; this bundle points at the HTTP server that serves that API',
  },
];

export function ruleEndpoint(sourceKind: SourceKind, major: CyberTraceMajor): RuleEndpoint {
  return RULE_ENDPOINTS.find((e) => e.sourceKind === sourceKind && e.major === major)!;
}
