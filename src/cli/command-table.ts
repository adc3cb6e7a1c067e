/**
 * Where each command is: its module (src/cli/<name>.ts), imported only when the command runs. Its own
 * module so that the build can give each command's bundle a table that holds that command alone
 * (scripts/bundle.mjs): a bundle then holds none of the other commands' code.
 */
import type { Command } from 'commander';
import type { ConnectorSet } from '../connector/connector-set.js';
import type { CommandName } from './command-names.js';

export type Registrar = { register(p: Command, connectors: ConnectorSet): void };

export const commands: Record<CommandName, () => Promise<Registrar>> = {
  generate: () => import('./generate.js'),
  validate: () => import('./validate.js'),
  list: () => import('./list.js'),
  init: () => import('./init.js'),
  cybertrace: () => import('./cybertrace.js'),
  verify: () => import('./verify.js'),
  simulate: () => import('./simulate.js'),
  categories: () => import('./categories.js'),
  deploy: () => import('./deploy.js'),
  export: () => import('./export.js'),
};
