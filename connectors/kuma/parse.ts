/**
 * Reads a CyberTrace answer the way KUMA stores it in the TI field: `key=value` parts separated
 * by `|`, with the generic contract reader (src/cybertrace/parse-event.ts).
 */
import { type ParsedEvent, parseWithContract } from '../../src/connector/index.js';
import { alertEvent, detectionEvent } from './contract.js';
import { ReadError } from '../../src/kernel/errors.js';

/** A detection event (`Category=…|MatchedIndicator=…|k=v…`) or a service alert (`Mon DD HH:MM:SS alert=…|k=v…`). */
export function parseKumaEvent(line: string): ParsedEvent {
  const parsed = parseWithContract(line, detectionEvent, 'detection') ?? parseWithContract(line, alertEvent, 'alert');
  if (!parsed) {
    throw new ReadError(
      `not a CyberTrace event in the KUMA format: expected "Category=…|MatchedIndicator=…" or "Mon DD HH:MM:SS alert=…", got ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
  return parsed;
}
