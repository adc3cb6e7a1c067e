/** The one hash helper of the project (bundle MANIFESTs and deploy comparisons must agree on it), and random names. */
// crypto is loaded on first use, not with this module: loading it costs a command about 1.5 ms,
// and most modules import this one (through the connectors' front door) without hashing anything.
const crypto = () => process.getBuiltinModule('node:crypto');

/** SHA-256 of `content`, hex by default (base64 for OpenSSH-style key fingerprints). */
export function sha256(content: string | Buffer, encoding: 'hex' | 'base64' = 'hex'): string {
  return crypto().createHash('sha256').update(content).digest(encoding);
}

/** `bytes` random bytes as hex, for names no other run picks. */
export function randomHex(bytes: number): string {
  return crypto().randomBytes(bytes).toString('hex');
}
