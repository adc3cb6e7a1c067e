/**
 * Shell completion as a user meets it: the bash script sourced (twice, as a re-read ~/.bashrc does)
 * in a bash without the bash-completion package, then the completion function run as bash runs it
 * on Tab. File options complete file names; --target and `categories rename/remove` the site's names.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ctc-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
mkdirSync(bin);
// `ctconnect` on the PATH, as after an install.
writeFileSync(join(bin, 'ctconnect'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
chmodSync(join(bin, 'ctconnect'), 0o755);
const work = join(dir, 'work');
mkdirSync(work);
for (const f of ['site-a.yaml', 'site-b.yaml', 'events.txt']) writeFileSync(join(work, f), '');
writeFileSync(
  join(work, 'lab.yaml'),
  [
    'name: lab',
    'cybertrace: { address: 192.0.2.10 }',
    'siems: { fortisiem: { address: 192.0.2.30 } }',
    'categories: { custom: [{ name: Partner_Feed, title: Partner hit }] }',
    'targets:',
    '  - { name: ct-east, host: 192.0.2.10, user: root, roles: [cybertrace], identity_file: ./k }',
    '  - { name: ct-west, host: 192.0.2.11, user: root, roles: [cybertrace], identity_file: ./k }',
    '',
  ].join('\n'),
);
const script = join(dir, 'ctconnect.bash');
writeFileSync(script, runCli(['completion', 'bash']).stdout);

/** Sources the script twice in a bare bash, then completes each line (words as typed, the last one being completed). */
function completeInBash(lines: string[][]): { sourced: string; answers: string[][] } {
  const calls = lines.map((words) => `c ${words.map((w) => `'${w}'`).join(' ')}`).join('\n');
  const program = `
source ${script}
source ${script}
echo "@@sourced"
c() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); __ctconnect_complete; printf '%s\\n' "@@answer" "\${COMPREPLY[@]}"; }
${calls}
`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
    cwd: work,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CTCONNECT_CONFIG: undefined },
    encoding: 'utf8',
  });
  const [sourced = '', ...rest] = `${r.stderr}${r.stdout}`.split('@@sourced\n');
  const answers = rest
    .join('')
    .split('@@answer\n')
    .slice(1)
    .map((a) => a.split('\n').filter(Boolean).sort());
  return { sourced, answers };
}

describe('bash completion', () => {
  it('sources twice without a word, needs no bash-completion package, and completes commands, SIEMs, files and site names', () => {
    const { sourced, answers } = completeInBash([
      ['ctconnect', 'gen'],
      ['ctconnect', 'verify', 'sp'],
      ['ctconnect', 'generate', '-c', 'site-'],
      ['ctconnect', 'cybertrace', 'patch', '--in', 'site-a'],
      ['ctconnect', 'simulate', 'fortisiem', '--file', 'ev'],
      ['ctconnect', 'generate', '--out', 'site-b'],
      ['ctconnect', 'init', 'site-'],
      ['ctconnect', 'deploy', 'fortisiem', '-c', 'lab.yaml', '--target', 'ct-'],
      ['ctconnect', 'categories', 'rename', '-c', 'lab.yaml', 'Part'],
      ['ctconnect', 'categories', 'remove', '-c', 'lab.yaml', 'KL_Phish'],
      ['ctconnect', 'generate', '--arch'],
    ]);
    expect(sourced).toBe('');
    expect(answers).toEqual([
      ['generate'],
      ['splunk'],
      ['site-a.yaml', 'site-b.yaml'],
      ['site-a.yaml'],
      ['events.txt'],
      ['site-b.yaml'],
      ['site-a.yaml', 'site-b.yaml'],
      ['ct-east', 'ct-west'],
      ['Partner_Feed'],
      ['KL_Phishing_URL'],
      ['--archive'],
    ]);
  });
});

/** What each shell offers for each line (words as typed, the last one being completed), as `name` or `name:description` lines. */
function completeIn(shell: 'zsh' | 'fish', lines: string[][]): string[][] {
  const file = join(dir, `ctconnect.${shell}`);
  writeFileSync(file, runCli(['completion', shell]).stdout);
  // fish: `complete -C` asks the completions of a command line. zsh: the script's function, run with the words zsh
  // would give it, and _describe (which would show the candidates) printing them instead.
  const program =
    shell === 'fish'
      ? `source ${file}\n${lines.map((w) => `echo @@answer; complete -C ${JSON.stringify(w.join(' '))}`).join('\n')}`
      : [
          'autoload -U compinit; compinit -D -u',
          `source ${file}`,
          '_describe() { print -l -- "${completions[@]}"; return 0 }',
          ...lines.map((w) => `echo @@answer; words=(${w.map((x) => `'${x}'`).join(' ')}); CURRENT=${w.length}; _ctconnect`),
        ].join('\n');
  const r = spawnSync(shell, shell === 'fish' ? ['--no-config', '-c', program] : ['-f', '-c', program], {
    cwd: work,
    env: { ...process.env, HOME: dir, PATH: `${bin}:${process.env.PATH}`, CTCONNECT_CONFIG: undefined },
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return r.stdout
    .split('@@answer\n')
    .slice(1)
    .map((a) =>
      a
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/[\t:]/)[0])
        .sort(),
    );
}

describe.each(['zsh', 'fish'] as const)('the %s script', (shell) => {
  it('completes commands, options, SIEM ids, site target names and category names', () => {
    expect(
      completeIn(shell, [
        ['ctconnect', 'gen'],
        ['ctconnect', 'verify', 'sp'],
        ['ctconnect', 'generate', '--arch'],
        ['ctconnect', 'deploy', 'fortisiem', '-c', 'lab.yaml', '--target', 'ct-'],
        ['ctconnect', 'categories', 'rename', '-c', 'lab.yaml', 'Part'],
      ]),
    ).toEqual([['generate'], ['splunk'], ['--archive'], ['ct-east', 'ct-west'], ['Partner_Feed']]);
  });
});
