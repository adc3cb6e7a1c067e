/**
 * The contract every connector implements. A connector is data plus small pure functions:
 * given a validated site it returns the files of its bundle (with where each is installed)
 * and the install steps. The CLI, the bundle writer and the deployer only walk these lists.
 */
import type { CyberTraceSettings } from '../model/cybertrace.js';
import type { Site } from '../model/site.js';
import type { Renderer } from '../render/engine.js';
import type { BundleFile, InstallStep } from '../model/bundle.js';
import type { WireContract } from '../model/events.js';
import type { ConnectorCategories } from './capabilities.js';
import type { EventDefinitions } from '../cybertrace/settings.js';

/** A problem found by a connector's cross-field check; `path` is relative to `siems.<id>`. */
export interface OptionProblem {
  path: Array<string | number>;
  message: string;
}

/** What a build hands a connector: the site as it sees it, its CyberTrace settings (computed once per build), the renderer. */
export interface BuildInput {
  site: Site;
  settings: CyberTraceSettings;
  render: Renderer;
  /**
   * Built only to be checked (`validate`), never written: what is made from files already rendered
   * and cannot fail on its own — an archive of the bundle's files (Splunk's .spl) — is left out.
   */
  checkOnly?: boolean;
}

/** Implemented through `defineConnector` (src/connector/define-connector.ts), which derives most of it from a connector's parts. */
export interface Connector {
  /** Used on the command line, as the bundle folder name and as the key under `siems:` in the site file. */
  id: string;
  title: string;
  /** One line for `ctconnect list`. */
  summary: string;
  /** SIEM versions these bundles follow. */
  siemVersions: string;
  /** Deploy roles besides the connector id that this connector installs to (e.g. tiers of a distributed SIEM). */
  extraRoles?: string[];
  /** JSON Schema of `siems.<id>` in the site file (defaults filled in by the loader). */
  optionsSchema: Record<string, unknown>;
  /** Checks across this connector's options (the schema checks single fields); paths are relative to `siems.<id>`. */
  check?(options: Record<string, unknown>, site: Site): OptionProblem[];
  /**
   * The events CyberTrace sends this SIEM as the site configures it, the one definition both halves come
   * from (conformance tests read them); a site may write into them (QRadar: log source identifier, delimiter).
   */
  events(site: Site): EventDefinitions;
  /** The CyberTrace side, derived from the same event definition as the SIEM side. */
  cybertrace(site: Site): CyberTraceSettings;
  /** The SIEM-side files, INSTALL.md included. The bundle writer adds the CyberTrace sheet, fragment and MANIFEST. */
  files(input: BuildInput): BundleFile[] | Promise<BundleFile[]>;
  /** Install steps run by `ctconnect deploy` after the files. */
  steps(site: Site): InstallStep[];
  /** Wire formats for verify/simulate and the round-trip tests. */
  wire: WireContract;
  /**
   * Option sets of `siems.<id>` (merged over the example site's section) that change what the bundle
   * installs: schemes, optional files. The tests build and deploy every variant, so a new scheme is
   * tested by being listed here. The example site's own section is always tested as "default".
   */
  variants?: Array<{ name: string; options: Record<string, unknown> }>;
  /** Optional: true when this SIEM, as the site configures it, asks CyberTrace through its HTTP lookup API; `verify` then uses --http by default. */
  lookupOverHttp?(site: Site): boolean;
  /**
   * Optional: what the site's categories mean for this SIEM beyond their titles (which every
   * bundle reads from the site). `ctconnect categories` edits the site's categories; this hook
   * shows the SIEM's view in `list`, follows each edit in `siems.<id>` and may change state
   * outside the site file (AlienVault: SIDs, retired SIDs, the live ossim database).
   */
  categories?: ConnectorCategories;
}
