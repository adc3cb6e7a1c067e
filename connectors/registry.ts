/**
 * The one table of connectors. Adding a SIEM means adding its folder and one line here; the
 * core never imports this file: the CLI entry hands the set to it.
 */
import { connectorSet } from '../src/connector/index.js';
import { fortisiem } from './fortisiem/index.js';
import { alienvault } from './alienvault/index.js';
import { kuma } from './kuma/index.js';
import { splunk } from './splunk/index.js';
import { arcsight } from './arcsight/index.js';
import { qradar } from './qradar/index.js';

export const registry = connectorSet([fortisiem, alienvault, kuma, splunk, arcsight, qradar]);

// Shorthands for tests and benches.
export const allConnectors = registry.all;
export const getConnector = registry.get;
export const connectorIds = registry.ids;
