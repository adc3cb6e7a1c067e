/** Shared pieces of the deploy tests: sites with targets, hand-made bundles, staging-root snapshots. */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Connector } from '../../src/connector/contract.js';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { fortisiem } from '../../connectors/fortisiem/index.js';
import type { Bundle } from '../../src/bundle/build.js';
import type { Site } from '../../src/model/site.js';
import { siteFromYaml } from '../helpers/bundles.js';
import { startCutProxy, type CutProxy } from '../helpers/cut-proxy.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';

export interface TargetInput {
  name: string;
  host?: string;
  port: number;
  user?: string;
  roles?: string[];
  [key: string]: unknown;
}

/** A valid site with these targets (defaults: root on 127.0.0.1, role cybertrace). */
export function siteWith(targets: TargetInput[], extra: { install_dir?: string } = {}): Site {
  const doc = {
    name: 'deploy-test',
    cybertrace: { address: '192.0.2.10', ...(extra.install_dir ? { install_dir: extra.install_dir } : {}) },
    siems: { fortisiem: { address: '192.0.2.30' } },
    targets: targets.map((t) => ({ host: '127.0.0.1', user: 'root', roles: ['cybertrace'], connect_timeout_sec: 10, ...t })),
  };
  return siteFromYaml(stringify(doc));
}

/** A connector that exists only in the test: the deployer must work from its lists alone. */
export const testConnector: Connector = {
  id: 'testsiem',
  title: 'Test SIEM',
  summary: 'files and steps for the deployer tests',
  siemVersions: '-',
  optionsSchema: {},
  events: fortisiem.events,
  cybertrace: fortisiem.cybertrace,
  files: () => [],
  steps: () => [],
  wire: fortisiem.wire,
};

export function bundleOf(files: BundleFile[], steps: InstallStep[] = []): Bundle {
  return { connector: testConnector, settings: undefined as never, files, steps };
}

/** Every path below `root` with its bytes (files) or "dir", to prove a run wrote nothing. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[p] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else {
        out[p] = `file ${(statSync(p).mode & 0o7777).toString(8)} ${st.mtimeMs} ${readFileSync(p).toString('base64')}`;
      }
    }
  };
  walk(root);
  return out;
}

export function filesBelow(root: string): string[] {
  return Object.keys(snapshot(root))
    .filter((p) => !snapshot(root)[p].startsWith('dir'))
    .map((p) => p.slice(root.length));
}

/**
 * A real sshd on 127.0.0.1 behind a cutting proxy, a client key and a known_hosts file that names the
 * host key at both ports, and a fresh staging root per test: what the fault, lock and pending-step
 * tests deploy to.
 */
export interface ProxiedHost {
  work: string;
  clientKey: KeyPair;
  server: SshServer;
  proxy: CutProxy;
  knownHosts: string;
  /** A new staging root below `work`, and the proxy let through again (call it before each test). */
  newStage(): string;
  /** A target through the proxy, confined below `stage`. */
  target(stage: string, extra?: Partial<TargetInput>): TargetInput;
  close(): Promise<void>;
}

/** A real sshd on 127.0.0.1 that lets the client key in, with a known_hosts file holding its key, in a temp folder. */
export interface KeyedHost {
  work: string;
  clientKey: KeyPair;
  server: SshServer;
  knownHosts: string;
  close(): Promise<void>;
}

export async function startKeyedHost(prefix: string): Promise<KeyedHost> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  // The login user must reach the staging roots through sudo only, as on a real host.
  chmodSync(work, 0o755);
  const clientKey = makeKeyPair(work, 'client');
  const server = await startSshd({ authorizedKeys: [clientKey.publicKeyLine] });
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  return {
    work,
    clientKey,
    server,
    knownHosts,
    async close() {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export async function startProxiedHost(prefix: string): Promise<ProxiedHost> {
  const { work, clientKey, server, knownHosts, close } = await startKeyedHost(prefix);
  const proxy = await startCutProxy(server.port);
  const [, type, key] = server.knownHostsLine.split(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${proxy.port} ${type} ${key}\n[127.0.0.1]:${server.port} ${type} ${key}\n`);
  return {
    work,
    clientKey,
    server,
    proxy,
    knownHosts,
    newStage() {
      proxy.refuse(false);
      proxy.hold(false);
      return mkdtempSync(join(work, 'stage-'));
    },
    target: (stage, extra = {}) => ({
      name: 'ct1',
      port: proxy.port,
      identity_file: clientKey.privateKeyFile,
      known_hosts: knownHosts,
      root_prefix: stage,
      connect_timeout_sec: 5,
      ...extra,
    }),
    async close() {
      await proxy.close();
      await close();
    },
  };
}
