/**
 * JSON Schema of the site file. The `siems` section is assembled from each connector's
 * optionsSchema, so a connector's options are declared once, next to the code that uses them.
 * Defaults here are filled in by the loader (Ajv useDefaults).
 */
import type { Connector } from '../../connectors/types.js';
import { DEFAULT_CATEGORY_NAMES } from '../cybertrace/categories.js';

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;

/** Names that end up inside configs: a conservative character set, no quotes or separators. */
export const categoryName = {
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,127}$',
  description: 'a feed category name (a letter, then letters, digits, "_", "-", "."; at most 128)',
} as const;

/** An IPv4 address or a DNS host name (no ports, no spaces, no quotes). */
export const hostAddress = {
  type: 'string',
  // A name made of digits and dots only is a mistyped IPv4 address, not a host name.
  anyOf: [{ format: 'ipv4' }, { format: 'hostname', pattern: '[A-Za-z]' }],
  description: 'an IPv4 address or a host name',
} as const;

export const ipv4Address = { type: 'string', format: 'ipv4', description: 'an IPv4 address' } as const;

/** An absolute POSIX path without characters that would need quoting in configs or shells. */
export const absolutePath = {
  type: 'string',
  pattern: '^/[A-Za-z0-9_./+-]*$',
  description: 'an absolute path (letters, digits, "_", "-", ".", "/", "+")',
} as const;

export const portNumber = port;

/** One CyberTrace instance: `cybertrace:` (one) or an item of `cybertraces:` (then name and serves are required). */
function cybertraceInstance(connectors: readonly Connector[], inList: boolean): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: inList ? ['name', 'address', 'serves'] : ['address'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'a name (letters, digits, "_", "-", "."; at most 64)' },
      address: hostAddress,
      listen_address: ipv4Address,
      input_port: { ...port, default: 9999 },
      return_port: { ...port, default: 9998 },
      platform: { enum: ['linux', 'windows'], default: 'linux' },
      install_dir: {
        type: 'string',
        pattern: '^(/[A-Za-z0-9_./+-]*|[A-Za-z]:\\\\[^"\'%;|<>\\r\\n]*)$',
        description: 'an absolute Linux path or a Windows path such as C:\\CyberTrace',
      },
      version: { enum: ['3.x', '4.x'], default: '4.x' },
      serves: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: connectors.map((c) => c.id) } },
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
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$', default: 'site' },
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
                title: { type: 'string', minLength: 1, maxLength: 200 },
              },
            },
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
            name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
            host: hostAddress,
            port: { ...port, default: 22 },
            user: { type: 'string', pattern: '^[a-z_][a-z0-9_.-]{0,31}$' },
            roles: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9_-]*$' } },
            identity_file: { type: 'string', minLength: 1 },
            use_agent: { type: 'boolean', default: false },
            password_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            sudo: { enum: ['none', 'nopasswd', 'password'], default: 'none' },
            sudo_password_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            root_prefix: absolutePath,
            known_hosts: { type: 'string', minLength: 1 },
            host_key_sha256: { type: 'string', pattern: '^(SHA256:)?[A-Za-z0-9+/]{43}=?$' },
            accept_new_host_key: { type: 'boolean', default: false },
            connect_timeout_sec: { type: 'integer', minimum: 1, maximum: 600, default: 15 },
            command_timeout_sec: { type: 'integer', minimum: 1, maximum: 3600, default: 120 },
          },
        },
      },
    },
  };
}
