import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jobRequestSchema } from '../../../../shared/protocol/user.ts';
import {
  profileSchema,
  RETURN_REASONS,
  returnTasksSchema,
  taskSpecSchema,
} from '../../../../shared/protocol/worker.ts';

// Keeps docs/PROTOCOL.md's field lists honest: a field the code accepts is documented, so an
// optional field added to a message (timeout, owner, update) cannot stay a secret of the code.
const doc = readFileSync(new URL('../../../../docs/PROTOCOL.md', import.meta.url), 'utf8');

/** The text of the section that starts at `heading` and runs to the next heading of any level. */
function section(heading: string): string {
  const start = doc.indexOf(heading);
  expect(start, `section ${heading}`).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(start + heading.length);
  const end = rest.search(/^#{2,4} |^\*\*`/m);
  return end === -1 ? rest : rest.slice(0, end);
}

describe('docs/PROTOCOL.md fields', () => {
  it.each(Object.keys(jobRequestSchema.shape))('the job table lists `%s`', (field) => {
    expect(section('### `job`: submit a job')).toMatch(new RegExp(`^\\| \`${field}\` `, 'm'));
  });

  // TaskSpec is "TaskRef plus …": the TaskRef bullet names job_id, index and attempt.
  const refFields = ['job_id', 'index', 'attempt'];
  it.each(Object.keys(taskSpecSchema.shape).filter((f) => !refFields.includes(f)))(
    'TaskSpec lists `%s`',
    (field) => {
      const bullet = /^- \*\*TaskSpec\*\*[\s\S]*?(?=^- \*\*)/m.exec(doc)?.[0] ?? '';
      expect(bullet).toContain(`\`${field}\``);
    },
  );

  it.each(
    Object.keys(profileSchema.shape).filter((f) => !['type', 'v', 'ram', 'cores'].includes(f)),
  )('the profile table lists `%s`', (field) => {
    expect(section('**`profile`**')).toMatch(new RegExp(`^\\| \`${field}\`\\??`, 'm'));
  });

  it('return_tasks is documented with each of its reasons', () => {
    expect(Object.keys(returnTasksSchema.shape)).toEqual(['type', 'v', 'reason', 'tasks']);
    const text = section('**`return_tasks`**');
    for (const reason of RETURN_REASONS)
      expect(text).toMatch(new RegExp(`^\\| \`${reason}\``, 'm'));
  });
});
