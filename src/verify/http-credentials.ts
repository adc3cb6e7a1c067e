/**
 * Where `verify --http` gets the CyberTrace API user and password: the environment variables the
 * site names (`cybertrace.http_api.user_env` / `password_env`), else a prompt on a terminal.
 * Never the command line. With nothing named and no terminal, no credentials are sent at all.
 */
import type { Site } from '../model/site.js';
import { UserError } from '../kernel/errors.js';
import type { SecretPrompt } from '../kernel/prompt.js';
import { rememberSecret } from '../kernel/run-secrets.js';

export async function httpCredentials(
  site: Site,
  env: NodeJS.ProcessEnv,
  prompt: SecretPrompt | undefined,
): Promise<{ user: string; password: string } | undefined> {
  const api = site.cybertrace.http_api ?? {};
  const named = (key: 'user_env' | 'password_env') => {
    const name = api[key];
    const value = name !== undefined ? env[name] : undefined;
    // The password is hidden in all output, whatever the variable is called; the user is not a secret.
    if (key === 'password_env') rememberSecret(value);
    return value !== undefined && value !== '' ? value : undefined;
  };
  let user = named('user_env');
  let password = named('password_env');
  if (user !== undefined && password !== undefined) return { user, password };
  if (prompt) {
    user ??= await prompt('CyberTrace API user (empty: send no credentials): ');
    if (user === '') return undefined;
    password ??= await prompt(`password of CyberTrace API user ${user}: `);
    return { user, password };
  }
  const missing = (['user_env', 'password_env'] as const).filter((k) => api[k] !== undefined && named(k) === undefined);
  if (missing.length > 0) {
    const which = missing.map((k) => `${api[k]} (named by cybertrace.http_api.${k})`).join(' and ');
    const variables = missing.length > 1 ? `environment variables ${which} are` : `environment variable ${which} is`;
    throw new UserError(`no CyberTrace API credentials: ${variables} not set, and stdin is not a terminal to ask`);
  }
  if (user !== undefined || password !== undefined) {
    throw new UserError('cybertrace.http_api names a variable for the user or the password but not both: name both (user_env and password_env)');
  }
  return undefined;
}
