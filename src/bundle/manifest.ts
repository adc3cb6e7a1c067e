/**
 * MANIFEST: one line per bundle file with its sha256, mode, size, and where it is installed.
 * Plain text so it reads well and diffs well; `sha256sum -c` style checks work on the first two columns.
 */
import type { BundleFile, Connector } from '../../connectors/types.js';
import { sha256 } from '../core/hash.js';

export const MANIFEST_PATH = 'MANIFEST';

function installColumn(f: BundleFile): string {
  if (!f.install) return '-';
  const how = f.install.merge ? (f.install.merge.kind === 'marked-block' ? ' (block)' : ' (settings patch)') : '';
  return `${f.install.role}:${f.install.path}${how}`;
}

export function renderManifest(connector: Connector, files: BundleFile[]): string {
  const lines = [
    `# ctconnect bundle: ${connector.id} (${connector.title})`,
    '# sha256  mode  size  path  install (role:path on the target, "-" = not installed)',
  ];
  for (const f of files) {
    const size = typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length;
    lines.push(`${sha256(f.content)}  ${f.mode.toString(8).padStart(4, '0')}  ${size}  ${f.path}  ${installColumn(f)}`);
  }
  return lines.join('\n') + '\n';
}

export function manifestFile(connector: Connector, files: BundleFile[]): BundleFile {
  return { path: MANIFEST_PATH, content: renderManifest(connector, files), mode: 0o644 };
}
