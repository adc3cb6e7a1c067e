/**
 * `npm run test:unit`: every test that needs neither root nor the Debian packages of
 * scripts/test-deps.sh (rsyslogd, MariaDB, sshd, pcre2grep, xmllint, Python 3, Ansible …); `npm test`
 * runs the whole suite. A new test file is a unit test unless it is listed here: list it when it
 * starts one of those programs or needs root (chown, throw-away users), so this run stays quick and
 * passes on any machine with Node.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export const NEEDS_ROOT_OR_PACKAGES = [
  'test/alienvault-categories/commit-faults.test.ts',
  'test/alienvault-categories/db.test.ts',
  'test/alienvault-categories/edits.test.ts',
  'test/alienvault-categories/site-file.test.ts',
  'test/alienvault/bundle.test.ts',
  'test/alienvault/plugin.test.ts',
  'test/alienvault/rsyslog-traffic.test.ts',
  'test/alienvault/rsyslog.test.ts',
  'test/alienvault/sql.test.ts',
  'test/arcsight/roundtrip.test.ts',
  'test/cli/completion.test.ts',
  'test/cli/json-output.test.ts',
  'test/cli/precompiled.test.ts',
  'test/cybertrace/fragment.test.ts',
  'test/cybertrace/patch.test.ts',
  'test/cybertrace/pcre-batch.test.ts',
  'test/cybertrace/serve.test.ts',
  'test/cybertrace/serves.test.ts',
  'test/deploy/cli-redaction.test.ts',
  'test/deploy/deploy.test.ts',
  'test/deploy/faults.test.ts',
  'test/deploy/fleet.test.ts',
  'test/deploy/host-keys.test.ts',
  'test/deploy/known-hosts-folder.test.ts',
  'test/deploy/lab.test.ts',
  'test/deploy/round-trips.test.ts',
  'test/deploy/sudo.test.ts',
  'test/formats/archive.test.ts',
  'test/formats/kata-through-siem.test.ts',
  'test/fortisiem/regexps.test.ts',
  'test/fortisiem/roundtrip.test.ts',
  'test/kuma/roundtrip.test.ts',
  'test/render/escape.test.ts',
  'test/render/sql-escape.test.ts',
  'test/simulate/send.test.ts',
  'test/splunk/category-lookup.test.ts',
  'test/splunk/cybertrace-settings.test.ts',
  'test/splunk/lookup-script.test.ts',
  'test/splunk/package.test.ts',
  'test/splunk/roundtrip.test.ts',
  'test/traffic/hostile.test.ts',
  'test/verify/alienvault-e2e.test.ts',
  'test/verify/verify.test.ts',
];

/** Quick to write, slow to run: they pack or install the whole package (minutes on a busy machine). */
export const SLOW = ['test/install/pack.test.ts'];

export default mergeConfig(base, defineConfig({ test: { exclude: [...NEEDS_ROOT_OR_PACKAGES, ...SLOW, 'node_modules/**'] } }));
