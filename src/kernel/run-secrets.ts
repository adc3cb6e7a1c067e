/**
 * The secret values this run has handled: every password read from a variable the site names, every
 * answer to a password prompt, every credential sent. Redaction hides them wherever they appear in
 * the run's output, whatever the variable was called and whatever echoed them (a server's answer,
 * a command's error). Its own small module: the prompt records answers without loading redaction.
 */
const values = new Set<string>();

/** Records a secret and the shapes it takes when echoed: JSON-escaped, URL-encoded, base64. */
export function rememberSecret(value: string | undefined): void {
  if (!value) return;
  values.add(value);
  values.add(JSON.stringify(value).slice(1, -1));
  values.add(encodeURIComponent(value));
  values.add(Buffer.from(value, 'utf8').toString('base64'));
}

/** Every recorded secret and its shapes. */
export function runSecrets(): string[] {
  return [...values];
}
