/** The one content hash of the project: bundle MANIFESTs and deploy comparisons must agree on it. */
import { createHash } from 'node:crypto';

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
