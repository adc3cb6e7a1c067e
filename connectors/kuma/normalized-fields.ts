/**
 * KUMA normalized event fields that can carry an indicator (text fields), for checking the KUMA
 * field column of the enrichment-rule mapping. Sources: Kaspersky KUMA Help and the "Normalized event data
 * model" page of the KUMA help (support.kaspersky.com/KUMA/<version>/217941), which keeps the
 * ArcSight-style names. Number, time and label fields are left out: they never hold an IP,
 * URL or hash.
 */
import { closest, distance } from 'fastest-levenshtein';

const numbered = (base: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${base}${from + i}`);

export const KNOWN_NORMALIZED_FIELDS: readonly string[] = [
  'ApplicationProtocol',
  'DestinationAddress',
  'DestinationDnsDomain',
  'DestinationHostName',
  'DestinationMacAddress',
  'DestinationNtDomain',
  'DestinationProcessName',
  'DestinationServiceName',
  'DestinationTranslatedAddress',
  'DestinationUserID',
  'DestinationUserName',
  'DeviceAction',
  'DeviceAddress',
  ...numbered('DeviceCustomIPv6Address', 1, 4),
  ...numbered('DeviceCustomString', 1, 6),
  'DeviceDnsDomain',
  'DeviceExternalID',
  'DeviceHostName',
  'DeviceMacAddress',
  'DeviceNtDomain',
  'DeviceProcessName',
  'DeviceTranslatedAddress',
  'ExternalID',
  'FileHash',
  'FileName',
  'FilePath',
  'Message',
  'OldFileHash',
  'OldFileName',
  'OldFilePath',
  'RequestClientApplication',
  'RequestContext',
  'RequestUrl',
  'SourceAddress',
  'SourceDnsDomain',
  'SourceHostName',
  'SourceMacAddress',
  'SourceNtDomain',
  'SourceProcessName',
  'SourceServiceName',
  'SourceTranslatedAddress',
  'SourceUserID',
  'SourceUserName',
];

/** Extended event schema fields of type string (KUMA 2.1 and later) are written `S.<name>`. */
export const EXTENDED_STRING_FIELD_PATTERN = '^S\\.[A-Za-z][A-Za-z0-9_]{0,127}$';
const EXTENDED_STRING_FIELD = new RegExp(EXTENDED_STRING_FIELD_PATTERN);

export function isKnownNormalizedField(name: string): boolean {
  return KNOWN_NORMALIZED_FIELDS.includes(name) || EXTENDED_STRING_FIELD.test(name);
}

/** The known field closest to `name`, and whether it is close enough to be a typo (a case difference always is). */
export function closestNormalizedField(name: string): { field: string; likelyTypo: boolean } {
  const byCase = KNOWN_NORMALIZED_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
  if (byCase) return { field: byCase, likelyTypo: true };
  const best = closest(name, KNOWN_NORMALIZED_FIELDS);
  return { field: best, likelyTypo: distance(name, best) <= Math.max(3, Math.floor(best.length / 3)) };
}

/** The problem with a mapping field name, or undefined when it is fine. */
export function normalizedFieldProblem(name: string): string | undefined {
  if (isKnownNormalizedField(name)) return undefined;
  const near = closestNormalizedField(name);
  return (
    `"${name}" is not a known KUMA normalized event field that can hold an indicator ` +
    (near.likelyTypo ? `(did you mean "${near.field}"?)` : `(closest known field: "${near.field}")`) +
    '; use a text field of the KUMA normalized event data model (e.g. SourceAddress, RequestUrl, FileHash) or an extended schema string field written S.<name>'
  );
}
