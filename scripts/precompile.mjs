#!/usr/bin/env node
// Run by `npm run build` after tsc: writes what a run would otherwise compile on every start,
// from the same sources and with the same options the run-time code uses.
//  - dist/src/config/site-validator.generated.cjs: the site schema as Ajv standalone code;
//  - dist/src/render/templates.generated.cjs: every template under templates/, precompiled;
//  - dist/src/cli/commands.generated.json: each command's line in the top-level help.
// The modules that read them fall back to doing the work at run time when these files are missing.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

const load = await import(join(dist, 'src', 'config', 'load.js'));
const { siteSchema } = await import(join(dist, 'src', 'config', 'schema.js'));
const { registry } = await import(join(dist, 'connectors', 'registry.js'));
const engine = await import(join(dist, 'src', 'render', 'engine.js'));
const { templatesDir } = await import(join(dist, 'src', 'kernel', 'paths.js'));

// Site schema → standalone validator (CommonJS; it requires only Ajv's small runtime helpers).
const ajv = load.siteSchemaAjv({ code: { source: true } });
const standaloneCode = require('ajv/dist/standalone').default;
const validatorFile = join(dist, 'src', 'config', load.PRECOMPILED_VALIDATOR);
// The ids it was built for: a run with another connector set compiles its own (src/config/load.ts).
const forIds = `module.exports.connectorIds = ${JSON.stringify(registry.ids())};\n`;
writeFileSync(validatorFile, standaloneCode(ajv, ajv.compile(siteSchema(registry.all()))) + forIds);

// Templates → { 'siem/file.hbs': { source, spec } }; the source lets a run notice a template edited since.
const Handlebars = require('handlebars');
const templates = templatesDir();
const entries = [];
for (const entry of readdirSync(templates, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.hbs')) continue;
  const file = join(entry.parentPath, entry.name);
  const key = relative(templates, file).split('\\').join('/');
  const source = readFileSync(file, 'utf8');
  entries.push(`${JSON.stringify(key)}: { source: ${JSON.stringify(source)}, spec: ${Handlebars.precompile(source, engine.TEMPLATE_OPTIONS)} }`);
}
entries.sort();
const templatesFile = join(dist, 'src', 'render', engine.PRECOMPILED_TEMPLATES);
writeFileSync(templatesFile, `'use strict';\nmodule.exports = {\n${entries.join(',\n')}\n};\n`);

// Every command registered once, as `ctconnect help` would, for the lines of the top-level help.
const { Command } = await import('commander');
const cli = await import(join(dist, 'src', 'cli', 'commands.js'));
const program = new Command('ctconnect');
await cli.registerCommands(program, undefined);
writeFileSync(join(dist, 'src', 'cli', cli.COMMAND_SUMMARY), `${JSON.stringify(cli.commandSummaries(program), null, 1)}\n`);

console.log(
  `precompiled: ${relative(root, validatorFile)}, ${entries.length} templates in ${relative(root, dirname(templatesFile))}/${engine.PRECOMPILED_TEMPLATES}, the top-level help`,
);
