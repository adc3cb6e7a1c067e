import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary folder per run, removed at the end (and after a killed run, by the next one).
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real servers (sshd, MariaDB, rsyslog); give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests marked concurrent (the deploy lab's cases, which mostly wait on ansible-playbook and sshd)
    // run at most three at a time: more would only share the 2 cores further and stretch each one.
    maxConcurrency: 3,
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
