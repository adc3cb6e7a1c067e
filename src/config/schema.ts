/**
 * JSON Schema of the site file. The `siems` section is assembled from each connector's
 * optionsSchema, so a connector's options are declared once, next to the code that uses them.
 * Defaults here are filled in by the loader (Ajv useDefaults).
 *
 * Control characters (TAB, line breaks, NUL …) are refused by the loader in every string field,
 * whatever its pattern says; a string schema with `multiline: true` admits line feeds and tabs.
 */
import type { Connector } from '../connector/contract.js';
import { DEFAULT_CATEGORY_NAMES, KASPERSKY_CATEGORIES } from '../cybertrace/categories.js';
import { INVISIBLE_CHARACTERS, MAX_TITLE_LENGTH } from '../categories/site-categories.js';
import { absolutePath, categoryName, hostAddress, ipv4Address, portNumber } from '../model/schema-fragments.js';

const port = portNumber;

/** The title a category shows in the SIEMs (src/categories/site-categories.ts checks the same with clearer messages). */
const categoryTitleSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_TITLE_LENGTH,
  // Lands in Splunk .conf values (a trailing "\" continues the line; outer spaces are dropped), SQL, CSV, Markdown.
  // Bidirectional controls and zero-width characters would make it read otherwise than it is stored.
  pattern: `^(?!\\s)[^\\u0000-\\u001f\\u007f${INVISIBLE_CHARACTERS}]*[^\\s\\\\${INVISIBLE_CHARACTERS}]$`,
  description:
    'one line of text without leading or trailing spaces, not ending in "\\" (a Splunk .conf value would continue on the next line), without bidirectional-control or zero-width characters',
} as const;

/**
 * A file ssh reads (identity_file, known_hosts). ssh splits option values at whitespace and reads
 * quotes and "\\" in them, so a value with those would reach ssh (and the Ansible export) as more
 * than one path or as further options.
 */
const sshFile = {
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  pattern: '^[^\\s"\'\\\\]+$',
  description: 'a file path without spaces, quotes or "\\" (ssh would read them as separators or options)',
} as const;

/** The name of an environment variable (never its value). */
const envName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'the name of an environment variable' } as const;

/**
 * `cybertrace.http_api`: CyberTrace's HTTP lookup API, used by `verify --http` (and by KUMA's
 * `cybertrace-http` source kind). Self-contained so it can move with the CyberTrace instance it
 * belongs to. Credentials are named, never given: the variables hold the user and the password.
 */
export const cybertraceHttpApi = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: {
      type: 'string',
      pattern:
        '^https?://([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(:(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?/?$',
      description: 'https://HOST:PORT (or http://HOST:PORT) where CyberTrace Web listens (HTTPServer > ConnectionString)',
    },
    user_env: envName,
    password_env: envName,
  },
} as const;

/** One CyberTrace instance: `cybertrace:` (one) or an item of `cybertraces:` (then name and serves are required). */
function cybertraceInstance(connectors: readonly Connector[], inList: boolean): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    // In the list, serves (or tenants, each with its serves) is required too: checks.ts says so by position.
    required: inList ? ['name', 'address'] : ['address'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'a name (letters, digits, "_", "-", "."; at most 64)' },
      address: hostAddress,
      listen_address: ipv4Address,
      input_port: { ...port, default: 9999 },
      return_port: { ...port, default: 9998 },
      platform: { enum: ['linux', 'windows'], default: 'linux' },
      install_dir: {
        type: 'string',
        pattern: '^(?!.*[/\\\\]\\.\\.(?:[/\\\\]|$))(/[A-Za-z0-9_./+-]*|[A-Za-z]:\\\\[^"\'%;|<>\\r\\n]*)$',
        description: 'an absolute Linux path or a Windows path such as C:\\CyberTrace, without ".." segments',
      },
      version: { enum: ['3.x', '4.x', '5.x'], default: '4.x' },
      http_api: cybertraceHttpApi,
      serves: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: connectors.map((c) => c.id) } },
      tenants: {
        type: 'array',
        minItems: 1,
        description: 'the tenants (Domains > Domain) of this CyberTrace, each serving one SIEM',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'serves'],
          properties: {
            // Length and characters are checked in checks.ts, with CyberTrace's own limit in the message.
            name: { type: 'string' },
            serves: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: connectors.map((c) => c.id) } },
            input_port: port,
          },
        },
      },
      service_alerts: { enum: connectors.map((c) => c.id), description: 'the SIEM that receives the service alerts of a 5.x CyberTrace' },
    },
  };
}

export function siteSchema(connectors: readonly Connector[]): Record<string, unknown> {
  const siemProps: Record<string, unknown> = {};
  for (const c of connectors) siemProps[c.id] = c.optionsSchema;
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: {
        type: 'string',
        pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$',
        description: 'a site name (a letter or digit, then letters, digits, spaces, "_", "-", "."; at most 64)',
        default: 'site',
      },
      cybertrace: cybertraceInstance(connectors, false),
      cybertraces: {
        type: 'array',
        minItems: 1,
        items: cybertraceInstance(connectors, true),
        description: 'a list of CyberTrace instances (use either cybertrace: or cybertraces:)',
      },
      categories: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          kaspersky: { type: 'array', items: categoryName, uniqueItems: true, default: DEFAULT_CATEGORY_NAMES },
          custom: {
            type: 'array',
            default: [],
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: categoryName,
                title: categoryTitleSchema,
              },
            },
          },
          // One place for each title: custom feeds keep theirs in custom[].title, Kaspersky categories here.
          titles: {
            type: 'object',
            default: {},
            description: 'titles of Kaspersky categories that differ from the built-in ones (category: title)',
            propertyNames: { enum: KASPERSKY_CATEGORIES.map((c) => c.name) },
            additionalProperties: categoryTitleSchema,
          },
        },
      },
      siems: { type: 'object', additionalProperties: false, default: {}, properties: siemProps },
      targets: {
        type: 'array',
        default: [],
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'host', 'user', 'roles'],
          properties: {
            name: {
              type: 'string',
              pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
              description: 'a target name (a letter or digit, then letters, digits, "_", "-", "."; at most 64)',
            },
            host: hostAddress,
            port: { ...port, default: 22 },
            user: {
              type: 'string',
              pattern: '^[a-z_][a-z0-9_.-]{0,31}$',
              description: 'a Linux user name (lower-case letters, digits, "_", "-", "."; at most 32)',
            },
            roles: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', pattern: '^[a-z][a-z0-9_-]*$', description: 'a role: cybertrace or a SIEM id' },
            },
            identity_file: sshFile,
            use_agent: { type: 'boolean', default: false },
            password_env: {
              type: 'string',
              pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
              description: 'the NAME of an environment variable (letters, digits, "_"), not the password itself',
            },
            sudo: { enum: ['none', 'nopasswd', 'password'], default: 'none' },
            sudo_password_env: {
              type: 'string',
              pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
              description: 'the NAME of an environment variable (letters, digits, "_"), not the password itself',
            },
            root_prefix: absolutePath,
            known_hosts: sshFile,
            host_key_sha256: {
              type: 'string',
              pattern: '^(SHA256:)?[A-Za-z0-9+/]{43}=?$',
              description: 'a SHA256 host-key fingerprint as ssh-keygen -lf prints it (SHA256: and 43 base64 characters)',
            },
            accept_new_host_key: { type: 'boolean', default: false },
            connect_timeout_sec: { type: 'integer', minimum: 1, maximum: 600, default: 15 },
            command_timeout_sec: { type: 'integer', minimum: 1, maximum: 3600, default: 120 },
            lock_wait_sec: { type: 'integer', minimum: 0, maximum: 3600, default: 60 },
            follow_symlinked_dirs: { type: 'boolean', default: false },
            steps: {
              enum: ['run', 'skip'],
              default: 'run',
              description: 'run: deploys run the install steps (restarts, imports); skip: files only (a staged host)',
            },
            cybertrace: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'the name of the cybertraces: item this host is' },
          },
        },
      },
    },
  };
}
