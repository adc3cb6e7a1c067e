/**
 * Splunk on the wire: the raw key=value event the app forwards from its input port to CyberTrace,
 * and CyberTrace's events read with the app's transforms.conf regexes.
 */
import type { Indicator, WireContract } from '../../src/connector/index.js';
import { INPUT_FIELDS } from './contract.js';
import { parseSplunkEvent } from './extractions.js';
import { InternalError } from '../../src/kernel/errors.js';

function key(role: 'src' | Indicator['type']): string {
  const f = role === 'src' ? INPUT_FIELDS.find((x) => x.regexp === 'SRC_IP') : INPUT_FIELDS.find((x) => x.indicator === role);
  if (!f) throw new InternalError(`no input key for ${role}`);
  return f.lookupKey;
}

/** A log line as a device sends it to the app's input port; Splunk forwards it unchanged (sendCookedData = false). */
function forwardedEvent(indicator: Indicator): string {
  const user = INPUT_FIELDS.find((x) => x.regexp === 'RE_USERNAME')!.lookupKey;
  return `action=allowed ${key('src')}=10.20.30.40 ${user}=${indicator.user ?? 'ctconnect-verify'} ${key(indicator.type)}=${indicator.value}`;
}

export const splunkWire: WireContract = {
  forwardedEvent: (indicator) => forwardedEvent(indicator),
  parseEvent: (line) => parseSplunkEvent(line),
};
