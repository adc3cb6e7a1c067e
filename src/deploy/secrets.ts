/**
 * Credentials of a target: key file, key passphrase, login password, sudo password. Secrets come
 * only from environment variables named in the site file, or from a prompt when stdin is a
 * terminal — never from the command line, the site file or the bundle. Resolved for all targets
 * before any connection starts, so prompts never interleave with the parallel deploys.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { DeployTarget } from '../model/site.js';
import { DeployFailure } from './types.js';
import type { SecretPrompt } from '../kernel/prompt.js';
import { rememberSecret } from '../kernel/run-secrets.js';

export interface TargetSecrets {
  privateKey?: Buffer;
  keyPassphrase?: string;
  loginPassword?: string;
  sudoPassword?: string;
}

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

export interface SecretSources {
  env: NodeJS.ProcessEnv;
  prompt?: SecretPrompt;
}

async function secretFor(target: DeployTarget, envName: string | undefined, what: string, src: SecretSources, siteKey: string): Promise<string> {
  if (envName !== undefined) {
    const v = src.env[envName];
    if (v !== undefined && v !== '') {
      rememberSecret(v);
      return v;
    }
  }
  if (src.prompt) return src.prompt(`${what} for ${target.name} (${target.user}@${target.host}): `);
  const hint =
    envName !== undefined
      ? `environment variable ${envName} (named by targets.${target.name}.${siteKey}) is not set`
      : `set targets.${target.name}.${siteKey} to the name of an environment variable that holds it`;
  throw new DeployFailure(`${what} needed for ${target.name} but none given: ${hint}, and stdin is not a terminal to ask`);
}

export async function resolveSecrets(target: DeployTarget, src: SecretSources): Promise<TargetSecrets> {
  const s: TargetSecrets = {};
  if (target.identity_file !== undefined) {
    const file = expandHome(target.identity_file);
    try {
      s.privateKey = readFileSync(file);
    } catch (e) {
      throw new DeployFailure(`cannot read identity_file ${file} of target ${target.name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const parsed = ssh2.utils.parseKey(s.privateKey);
    if (parsed instanceof Error) {
      if (!/encrypted|passphrase/i.test(parsed.message))
        throw new DeployFailure(`identity_file ${file} of target ${target.name} is not a usable private key: ${parsed.message}`);
      s.keyPassphrase = await secretFor(target, target.password_env, 'key passphrase', src, 'password_env');
      if (ssh2.utils.parseKey(s.privateKey, s.keyPassphrase) instanceof Error) {
        throw new DeployFailure(`the passphrase for identity_file ${file} of target ${target.name} is wrong`);
      }
    }
  } else if (!target.use_agent) {
    s.loginPassword = await secretFor(target, target.password_env, 'login password', src, 'password_env');
  }
  if (target.use_agent && !process.env.SSH_AUTH_SOCK && target.identity_file === undefined) {
    throw new DeployFailure(`target ${target.name} has use_agent: true but SSH_AUTH_SOCK is not set (no agent running)`);
  }
  if (target.sudo === 'password') {
    s.sudoPassword = await secretFor(target, target.sudo_password_env, 'sudo password', src, 'sudo_password_env');
    if (/[\r\n]/.test(s.sudoPassword)) throw new DeployFailure(`the sudo password for ${target.name} contains a line break; sudo reads one line`);
  }
  return s;
}
