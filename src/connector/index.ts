/**
 * The front door: everything a connector (connectors/<siem>/) may use of the project, besides the
 * ground floor (src/kernel/). The linter refuses any other import from a connector, so what a
 * connector depends on is this list.
 */
export * from './contract.js';
export * from './capabilities.js';
export * from './define-connector.js';
export { connectorSet, type ConnectorSet } from './connector-set.js';

// The plain model: the site, the bundle, events, CyberTrace settings, schema fragments.
export * from '../model/site.js';
export * from '../model/bundle.js';
export * from '../model/events.js';
export * from '../model/cybertrace.js';
export * from '../model/schema-fragments.js';

// The CyberTrace side: event contracts and the readers derived from them, categories, indicators.
export * from '../cybertrace/event-contract.js';
export * from '../cybertrace/render-event.js';
export * from '../cybertrace/parse-event.js';
export * from '../cybertrace/context-pairs.js';
export * from '../cybertrace/settings.js';
export * from '../cybertrace/categories.js';
export * from '../cybertrace/indicators.js';
export * from '../cybertrace/protocol.js';
export * from '../cybertrace/http-api.js';
export * from '../categories/site-categories.js';

// Rendering, escaping and archives.
export type { Renderer } from '../render/engine.js';
export * from '../render/escape.js';
export * from '../formats/archive.js';
export * from '../cybertrace/cef-events.js';
export * from '../formats/leef.js';
