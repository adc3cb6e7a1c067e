/**
 * Defines a connector from its parts, so a connector folder holds only what is specific to its
 * SIEM. The helper does what every connector needs the same way:
 * - the options schema is declared once (`as const`); its TypeScript type is derived from it;
 * - the options are read from `siems.<id>` in one place, with a clear error when the section is missing;
 * - the CyberTrace settings are computed once per build, from the connector's event definitions,
 *   and handed to `files` together with the template context every INSTALL.md starts from.
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { BuildInput, Connector, OptionProblem } from './contract.js';
import type { WireContract } from '../model/events.js';
import type { BundleFile, InstallStep } from '../model/bundle.js';
import type { Site } from '../model/site.js';
import type { CyberTraceSettings } from '../model/cybertrace.js';
import { cybertraceSettings, type EventDefinitions } from '../cybertrace/settings.js';
import { feedServiceConfigPath, feedServiceRestartCommand } from '../cybertrace/bundle-files.js';
import { settingsChecklist } from '../cybertrace/fragment.js';
import type { Renderer } from '../render/engine.js';
import { UserError } from '../kernel/errors.js';

/** The type of a connector's options, derived from its schema (defaults filled in by the loader). */
export type OptionsOf<S extends JSONSchema> = FromSchema<S>;

/** Reads `siems.<id>` of a site, typed by its schema; a UserError when the site has no such section. */
export function siteOptions<const S extends JSONSchema, O = OptionsOf<S>>(id: string, _schema: S): (site: Site) => O {
  return (site) => {
    const o = site.siems[id];
    if (o === undefined) throw new UserError(`${site.source}: no "siems.${id}" section: add one to use this SIEM (see \`ctconnect init\` for an example)`);
    return o as O;
  };
}

/** What every connector's INSTALL.md needs about the CyberTrace side (the shared partials read these names). */
export interface BaseTemplateContext {
  site: Site;
  /** The CyberTrace instance that serves this SIEM. */
  ct: Site['cybertrace'];
  settings: CyberTraceSettings;
  /** kl_feed_service.conf on the CyberTrace host, and the command that restarts the service. */
  configPath: string;
  restartCommand: string;
  linux: boolean;
  /** This connector, for the partials: `siem.id` in commands, `siem.title` in prose. */
  siem: { id: string; title: string };
  /** The settings as INSTALL.md list items (templates/partials/cybertrace-settings.hbs). */
  cybertraceChecklist: string[];
  /** The tenant serving this SIEM, on a CyberTrace with tenants (5.x, or 4.x with Domains). */
  ctTenant?: TenantContext;
}

export interface TenantContext {
  name: string;
  version: string;
  five: boolean;
  general: boolean;
  /** This SIEM gets the instance's service alerts. */
  serviceAlerts: boolean;
  inputPort: number;
}

function tenantContext(site: Site): TenantContext | undefined {
  const t = site.cybertrace.tenant;
  if (!t) return undefined;
  const five = site.cybertrace.version === '5.x';
  return {
    name: t.name,
    version: site.cybertrace.version,
    five,
    general: t.name === 'General',
    serviceAlerts: t.serviceAlerts,
    inputPort: site.cybertrace.input_port,
  };
}

export interface BuildContext<O> extends BaseTemplateContext {
  options: O;
  render: Renderer;
  /** See BuildInput.checkOnly: leave out archives of the bundle's own files. */
  checkOnly: boolean;
}

export interface ConnectorDefinition<O> {
  id: string;
  title: string;
  summary: string;
  siemVersions: string;
  extraRoles?: string[];
  variants?: Connector['variants'];
  /** Cross-field checks of the options; paths relative to `siems.<id>`. */
  check?(options: O, site: Site): OptionProblem[];
  /**
   * The events CyberTrace sends this SIEM and the regexps it reads the SIEM's events with; a
   * function when they depend on the site (e.g. a host name or delimiter written into every event).
   */
  events: EventDefinitions | ((options: O, site: Site) => EventDefinitions);
  /** Where CyberTrace listens (host:port); default: the instance's listen_address and input_port. */
  input?(options: O, site: Site): string;
  /** Where CyberTrace sends its events (host:port). */
  output(options: O, site: Site): string;
  /** The SIEM-side files, INSTALL.md included. */
  files(ctx: BuildContext<O>): BundleFile[] | Promise<BundleFile[]>;
  steps?(options: O, site: Site): InstallStep[];
  wire: WireContract;
  lookupOverHttp?(options: O, site: Site): boolean;
  /** What the site's categories mean for this SIEM beyond their titles (see Connector.categories). */
  categories?: Connector['categories'];
}

export function defineConnector<const S extends JSONSchema, O = OptionsOf<S>>(schema: S, def: ConnectorDefinition<O>): Connector {
  const optionsOf = siteOptions<S, O>(def.id, schema);
  const events = (site: Site): EventDefinitions => (typeof def.events === 'function' ? def.events(optionsOf(site), site) : def.events);
  const cybertrace = (site: Site): CyberTraceSettings => {
    const o = optionsOf(site);
    const input = def.input?.(o, site) ?? `${site.cybertrace.listen_address}:${site.cybertrace.input_port}`;
    return cybertraceSettings(events(site), input, def.output(o, site));
  };
  return {
    id: def.id,
    title: def.title,
    summary: def.summary,
    siemVersions: def.siemVersions,
    ...(def.extraRoles ? { extraRoles: def.extraRoles } : {}),
    ...(def.variants ? { variants: def.variants } : {}),
    optionsSchema: schema as Record<string, unknown>,
    ...(def.check ? { check: (raw: Record<string, unknown>, site: Site) => def.check!(raw as O, site) } : {}),
    events,
    cybertrace,
    files: ({ site, settings, render, checkOnly }: BuildInput) =>
      def.files({
        site,
        ct: site.cybertrace,
        settings,
        configPath: feedServiceConfigPath(site),
        restartCommand: feedServiceRestartCommand(site),
        linux: site.cybertrace.platform === 'linux',
        siem: { id: def.id, title: def.title },
        cybertraceChecklist: settingsChecklist(settings, def.title),
        ...(site.cybertrace.tenant ? { ctTenant: tenantContext(site) } : {}),
        options: optionsOf(site),
        render,
        checkOnly: checkOnly ?? false,
      }),
    steps: (site: Site) => {
      const o = optionsOf(site);
      return def.steps?.(o, site) ?? [];
    },
    wire: def.wire,
    ...(def.categories ? { categories: def.categories } : {}),
    ...(def.lookupOverHttp ? { lookupOverHttp: (site: Site) => def.lookupOverHttp!(optionsOf(site), site) } : {}),
  };
}
