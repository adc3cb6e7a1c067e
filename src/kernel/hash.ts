/** The one hash helper of the project: bundle MANIFESTs and deploy comparisons must agree on it. */
import { createHash } from 'node:crypto';

/** SHA-256 of `content`, hex by default (base64 for OpenSSH-style key fingerprints). */
export function sha256(content: string | Buffer, encoding: 'hex' | 'base64' = 'hex'): string {
  return createHash('sha256').update(content).digest(encoding);
}
