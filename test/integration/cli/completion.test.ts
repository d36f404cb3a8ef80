// `kestrel completion bash|zsh`, loaded into the real shells.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const KESTREL = resolve(import.meta.dirname, '../../../bin/kestrel');

/** What bash offers after `line` (the cursor at its end), with the script loaded. */
function bashCompletes(line: string): string[] {
  const script = `source <("${KESTREL}" completion bash)
read -ra COMP_WORDS <<< "$LINE"
[[ "$LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
_kestrel
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['-c', script], { env: { ...process.env, LINE: line } });
  return out
    .toString()
    .split('\n')
    .filter((w) => w !== '');
}

describe('kestrel completion', () => {
  it('completes commands, their first words and their options in bash', () => {
    expect(bashCompletes('kestrel wo')).toEqual(['worker', 'workers']);
    expect(bashCompletes('kestrel user ')).toEqual(['add', 'remove', 'list', 'passwd', 'role']);
    expect(bashCompletes('kestrel worker --pi')).toEqual(['--pin']);
    expect(bashCompletes('kestrel submit --re')).toEqual(['--requires', '--retries']);
    expect(bashCompletes('kestrel help he')).toEqual(['head']);
  });

  it('registers the same completion in zsh', () => {
    const out = execFileSync('zsh', [
      '-c',
      `autoload -U compinit && compinit -u; source <("${KESTREL}" completion zsh); print -r -- \${_comps[kestrel]}`,
    ]);
    expect(out.toString().trim()).toBe('_bash_complete -F _kestrel');
  });
});
