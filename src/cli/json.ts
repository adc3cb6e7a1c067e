/**
 * Machine output. Every --json document starts with "format": "ctconnect.<command>/<n>"; <n>
 * grows when a field changes meaning or goes away (new fields do not change it). Keys are
 * camelCase. The JSON Schema of each format is schemas/<command>.schema.json in the package.
 */
import { write } from './output.js';

export const JSON_FORMATS = {
  validate: 1,
  list: 1,
  generate: 1,
  verify: 1,
  simulate: 1,
  'categories-list': 2,
  // deploy: written by src/deploy/report.ts (toJson), ctconnect.deploy/1
} as const;

export type JsonCommand = keyof typeof JSON_FORMATS;

export const jsonFormat = (command: JsonCommand): string => `ctconnect.${command}/${JSON_FORMATS[command]}`;

export function printJson(command: JsonCommand, body: object): void {
  write(1, JSON.stringify({ format: jsonFormat(command), ...body }, null, 2) + '\n');
}
