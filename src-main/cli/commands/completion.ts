import { COMMANDS, type Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';

/**
 * `kestrel completion bash|zsh`: a completion script made from the command table itself, so it
 * always knows every command and option. Install with `source <(kestrel completion bash)` in
 * ~/.bashrc, or `kestrel completion zsh > "${fpath[1]}/_kestrel"`.
 */

/** The words a command takes first, where it has a fixed set. */
const FIRST_WORDS: Record<string, string> = {
  user: 'add remove list passwd role',
  workers: 'start stop clean list',
  completion: 'bash zsh',
  help: Object.keys(COMMANDS).join(' '),
};

function bash(): string {
  const options = Object.entries(COMMANDS)
    .map(([name, spec]) => {
      const list = Object.keys(spec.options)
        .map((o) => `--${o}`)
        .sort()
        .join(' ');
      return `    ${name}) opts="${list}" ;;`;
    })
    .join('\n');
  const first = Object.entries(FIRST_WORDS)
    .map(([name, words]) => `    ${name}) words="${words}" ;;`)
    .join('\n');
  const commands = [...Object.keys(COMMANDS), 'help'].join(' ');
  return `# kestrel completion for bash: source <(kestrel completion bash)
_kestrel() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands}" -- "$cur"))
    return
  fi
  local opts="" words=""
  case "\${COMP_WORDS[1]}" in
${options}
  esac
  case "\${COMP_WORDS[1]}" in
${first}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [ "$COMP_CWORD" -eq 2 ] && [ -n "$words" ]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _kestrel kestrel
`;
}

/** zsh runs the same function through its bash compatibility layer (bashcompinit). */
function zsh(): string {
  return `#compdef kestrel
# kestrel completion for zsh: kestrel completion zsh > "\${fpath[1]}/_kestrel"
autoload -U +X bashcompinit && bashcompinit
${bash().split('\n').slice(1).join('\n')}`;
}

export async function runCompletion(args: Parsed): Promise<number> {
  const [shell] = args.positionals;
  if (shell === 'bash') process.stdout.write(bash());
  else if (shell === 'zsh') process.stdout.write(zsh());
  else throw new CliError(`usage: kestrel completion bash|zsh (got '${shell ?? ''}')`, EXIT.usage);
  return EXIT.ok;
}
