/**
 * The one table of connectors. Adding a SIEM means adding its folder and one line here;
 * nothing else in the CLI, bundle writer or deployer names a SIEM.
 */
import { UserError } from '../src/core/errors.js';
import type { Connector } from './types.js';
import { fortisiem } from './fortisiem/index.js';
import { alienvault } from './alienvault/index.js';
import { kuma } from './kuma/index.js';
import { splunk } from './splunk/index.js';
import { arcsight } from './arcsight/index.js';

const CONNECTORS: readonly Connector[] = [fortisiem, alienvault, kuma, splunk, arcsight];

export function allConnectors(): readonly Connector[] {
  return CONNECTORS;
}

export function connectorIds(): string[] {
  return CONNECTORS.map((c) => c.id);
}

export function getConnector(id: string): Connector {
  const c = CONNECTORS.find((x) => x.id === id);
  if (!c) throw new UserError(`unknown SIEM "${id}"; known: ${connectorIds().join(', ')} (see \`ctconnect list\`)`);
  return c;
}
