/**
 * KUMA on the wire. What KUMA's `cybertrace` source kind sends is not publicly documented; this
 * is what the KUMA help implies, and what the bundle assumes:
 * - KUMA opens TCP connections to the rule's URL and reads the answers on the same connection
 *   (ReplyBack: the Kaspersky CyberTrace–KUMA integration guide points OutputSettings > ConnectionString at 127.0.0.1, so answers can only
 *   reach KUMA that way), starting each connection with the mode header below.
 * - the Kaspersky CyberTrace–KUMA integration guide keeps CyberTrace's default regexps, which read `ip=…`, `url=…`, `md5=…`, `sha1=…`
 *   and `sha256=…`; so one request is one line `<type>=<value>`, a `hash` mapping row being sent
 *   as md5, sha1 or sha256 by its length.
 * - The answer is one detection event per match in the format of contract.ts, which KUMA puts
 *   into the event's TI field.
 */
import { type Indicator, REPLY_BACK_HEADER, type WireContract } from '../../src/connector/index.js';
import { parseKumaEvent } from './parse.js';
import { UserError } from '../../src/kernel/errors.js';

/** The ReplyBack mode header, with finished events so a lookup that matched nothing ends too (assumed). */
export const ASSUMED_SESSION_HEADER = REPLY_BACK_HEADER;

/** The key of a request line per indicator type; the names the default regexps of contract.ts read. */
export const REQUEST_KEY: Record<Indicator['type'], string> = { ip: 'ip', url: 'url', md5: 'md5', sha1: 'sha1', sha256: 'sha256' };

export function kumaRequest(indicator: Indicator): string {
  if (/[\s]/.test(indicator.value))
    throw new UserError(`indicator ${JSON.stringify(indicator.value)} contains whitespace, which ends the value for the CyberTrace regexps`);
  return `${REQUEST_KEY[indicator.type]}=${indicator.value}`;
}

export const kumaWire: WireContract = {
  forwardedEvent: (indicator) => kumaRequest(indicator),
  parseEvent: (line) => parseKumaEvent(line),
};
