/**
 * The connectors a run knows. The composition root (the CLI entry, from connectors/registry.ts)
 * builds the set and hands it to the core: config, bundle, deploy and verify take it as a
 * parameter and never import a connector.
 */
import { closest, distance } from 'fastest-levenshtein';
import { InternalError, UserError } from '../kernel/errors.js';
import type { Connector } from './contract.js';

export interface ConnectorSet {
  all(): readonly Connector[];
  ids(): string[];
  /** The connector with this id; a UserError naming the known ones otherwise. */
  get(id: string): Connector;
  /** Every deploy role: `cybertrace`, each connector id and the connectors' extra roles. */
  roles(): string[];
}

export function connectorSet(list: readonly Connector[]): ConnectorSet {
  const ids = list.map((c) => c.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new InternalError(`connector id "${twice}" is registered twice`);
  return {
    all: () => list,
    ids: () => [...ids],
    get(id) {
      // Ids are lower case; `Splunk` or `KUMA` as people write them are the same SIEM.
      const c = list.find((x) => x.id === id.toLowerCase());
      if (!c) {
        const near = closest(id.toLowerCase(), ids);
        const hint = distance(id.toLowerCase(), near) <= Math.max(2, Math.floor(near.length / 3)) ? `did you mean "${near}"? ` : '';
        throw new UserError(`unknown SIEM "${id}"; ${hint}known: ${ids.join(', ')} (see \`ctconnect list\`)`);
      }
      return c;
    },
    roles: () => ['cybertrace', ...list.flatMap((c) => [c.id, ...(c.extraRoles ?? [])])],
  };
}
