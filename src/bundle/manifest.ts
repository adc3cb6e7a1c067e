/**
 * MANIFEST: one line per bundle file with its sha256, mode, size, and where it is installed,
 * after a header naming the connector and the site file the bundle was generated from.
 * Plain text so it reads well and diffs well; `sha256sum -c` style checks work on the first two columns.
 */
import type { Connector } from '../connector/contract.js';
import type { BundleFile } from '../model/bundle.js';
import { sha256 } from '../kernel/hash.js';

export const MANIFEST_PATH = 'MANIFEST';

function installColumn(f: BundleFile): string {
  if (!f.install) return '-';
  const how = f.install.merge ? (f.install.merge.kind === 'marked-block' ? ' (block)' : ' (settings patch)') : '';
  return `${f.install.role}:${f.install.path}${how}`;
}

/** Which site a bundle came from: its name and file (or the built-in example). */
export interface BundleOrigin {
  name: string;
  /** Absolute path of the site file, or a description such as "built-in example site". */
  file: string;
}

const HEADER = '# ctconnect bundle: ';
const SITE = '# site: ';

export function renderManifest(connector: Connector, files: BundleFile[], origin: BundleOrigin): string {
  const lines = [
    `${HEADER}${connector.id} (${connector.title})`,
    `${SITE}${origin.name} (${origin.file})`,
    '# sha256  mode  size  path  install (role:path on the target, "-" = not installed)',
  ];
  for (const f of files) {
    const size = typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length;
    lines.push(`${sha256(f.content)}  ${f.mode.toString(8).padStart(4, '0')}  ${size}  ${f.path}  ${installColumn(f)}`);
  }
  return lines.join('\n') + '\n';
}

export function manifestFile(connector: Connector, files: BundleFile[], origin: BundleOrigin): BundleFile {
  return { path: MANIFEST_PATH, content: renderManifest(connector, files, origin), mode: 0o644 };
}

export interface ParsedManifest {
  /** The connector id of the header line. */
  id: string;
  /** Absent in MANIFESTs written before the site line existed. */
  origin?: BundleOrigin;
  paths: string[];
}

/** Reads a MANIFEST back; undefined when the text is not one (so the folder is not a ctconnect bundle). */
export function parseManifest(text: string): ParsedManifest | undefined {
  const lines = text.split('\n');
  const id = lines[0]?.startsWith(HEADER) ? lines[0].slice(HEADER.length).split(' ')[0] : undefined;
  if (!id) return undefined;
  const site = lines.find((l) => l.startsWith(SITE));
  const m = site ? /^# site: (.*?) \((.*)\)$/.exec(site) : null;
  const paths = lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('  ')[3] ?? '');
  return { id, origin: m ? { name: m[1], file: m[2] } : undefined, paths: [MANIFEST_PATH, ...paths.filter(Boolean)] };
}
