/**
 * Shell completion, generated from the command definitions by @bomb.sh/tab: `ctconnect completion
 * bash|zsh|fish` prints the script; the shell then asks `ctconnect complete -- <words>` for
 * candidates. What the definitions cannot say is added here: SIEM ids from the connector registry,
 * file names for file options, and the site's own target and category names. The bash script is
 * ctconnect's own: it works without the bash-completion package and may be sourced twice.
 */
import type { Command } from 'commander';
import type { ConnectorSet } from '../connector/connector-set.js';

type Add = (value: string, description: string) => void;
type Handler = (complete: Add) => void;
interface TabEntry {
  handler?: Handler;
}
interface TabCommand {
  options: Map<string, TabEntry>;
  arguments: Map<string, TabEntry>;
}
interface TabRoot {
  commands: Map<string, TabCommand>;
  completions: Array<{ value: string; description?: string }>;
  complete(current: string): void;
  setup(name: string, executable: string, shell: string): void;
}

/** Options and arguments whose value is a file or folder: the shell completes file names there. */
const FILE_OPTIONS = ['config', 'in', 'out', 'file', 'ca', 'cert', 'key'];
const FILE_ARGUMENTS: Record<string, string> = { init: 'file', validate: 'file' };

/** The words after `complete --` (what the user typed so far). */
function typedWords(): string[] {
  const dash = process.argv.indexOf('--');
  return dash < 0 ? [] : process.argv.slice(dash + 1);
}

/** The site the typed command line would use (its --config, else the usual search), or undefined. */
async function typedSite(registry: ConnectorSet): Promise<import('../model/site.js').Site | undefined> {
  const words = typedWords();
  let config: string | undefined;
  words.forEach((w, i) => {
    if ((w === '-c' || w === '--config') && words[i + 1]) config = words[i + 1];
    else if (w.startsWith('--config=')) config = w.slice('--config='.length);
  });
  try {
    const [{ findSiteFile }, { loadSite }] = await Promise.all([import('../config/discover.js'), import('../config/load.js')]);
    const path = findSiteFile(config).path;
    return path === undefined ? undefined : loadSite(path, registry);
  } catch {
    // A site that does not load has no names to offer; completion stays quiet.
    return undefined;
  }
}

export async function setUpCompletion(program: Command, registry: ConnectorSet): Promise<void> {
  const { default: tab } = await import('@bomb.sh/tab/commander');
  const completion = tab(program, { completionCommandName: 'completion' }) as unknown as TabRoot;
  // Names from the site are read before the candidates are asked for (handlers are synchronous).
  const site = process.argv.includes('complete') ? await typedSite(registry) : undefined;
  let files = false;
  const fileNames: Handler = () => void (files = true);
  const siems: Handler = (add) => registry.all().forEach((c) => add(c.id, c.title));
  const targets: Handler = (add) => site?.targets.forEach((t) => add(t.name, t.host));
  const categories: Handler = (add) => {
    if (!site) return;
    for (const name of site.categories.kaspersky) add(name, site.categories.titles?.[name] ?? '');
    for (const c of site.categories.custom) add(c.name, c.title ?? '');
  };
  for (const [name, command] of completion.commands) {
    for (const [option, entry] of command.options) {
      if (option === 'siem') entry.handler = siems;
      else if (option === 'target') entry.handler = targets;
      else if (FILE_OPTIONS.includes(option)) entry.handler = fileNames;
    }
    const siem = command.arguments.get('siem');
    if (siem) siem.handler = siems;
    const file = FILE_ARGUMENTS[name];
    if (file && command.arguments.get(file)) command.arguments.get(file)!.handler = fileNames;
    if (name === 'categories rename' || name === 'categories remove') {
      const category = command.arguments.get('category');
      if (category) category.handler = categories;
    }
  }
  // As tab prints candidates, but a file option asks the shell for file names (directive 0, not 4).
  completion.complete = function (current: string): void {
    const seen = new Set<string>();
    const value = current.includes('=') ? current.slice(current.indexOf('=') + 1) : current;
    for (const c of this.completions) {
      if (seen.has(c.value) || !c.value.startsWith(value)) continue;
      seen.add(c.value);
      process.stdout.write(`${c.value}\t${c.description ?? ''}\n`);
    }
    process.stdout.write(`:${files ? 0 : 4}\n`);
  };
  program.commands
    .find((c) => c.name() === 'completion')
    ?.action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashScript(program.name()));
      else completion.setup(program.name(), program.name(), shell);
    });
}

/**
 * The bash script. Without the bash-completion package there is no _get_comp_words_by_ref: the
 * words come from COMP_WORDS then. Functions may be defined again, so sourcing it twice is silent.
 */
export function bashScript(name: string): string {
  const fn = `__${name.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  return `# bash completion for ${name}
# Source it (e.g. from ~/.bashrc) or put it in /etc/bash_completion.d/; works with or without the
# bash-completion package.

${fn}() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref -n "=:" cur words cword
    else
        words=("\${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=\${COMP_WORDS[COMP_CWORD]}
    fi
    local IFS=$'\\n'
    local out
    out=$(${name} complete -- "\${words[@]:1:cword-1}" "$cur" 2>/dev/null) || return 0
    local lines=($out)
    local n=\${#lines[@]}
    [ "$n" -gt 0 ] || return 0
    local directive=\${lines[n-1]#:}
    local values=() line
    for line in "\${lines[@]:0:n-1}"; do
        values+=("\${line%%$'\\t'*}")
    done
    if [ \${#values[@]} -gt 0 ]; then
        COMPREPLY=($(compgen -W "\${values[*]}" -- "$cur"))
    elif [ $((directive & 4)) -eq 0 ]; then
        # A file option: file names, as bash completes them.
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
}

complete -F ${fn} ${name}
`;
}
