import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import SubmitForm from '../../src-renderer/components/SubmitForm.svelte';
import { fakeClient, refuse } from './fake-client.ts';

function setup(handlers = {}) {
  const fake = fakeClient({ 'jobs:submit': () => ({ jobId: 7 }), ...handlers });
  const submitted: number[] = [];
  render(SubmitForm, { client: fake.client, onsubmitted: (id: number) => submitted.push(id) });
  const type = (label: string, value: string) =>
    fireEvent.input(screen.getByLabelText(label), { target: { value } });
  const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Submit' }));
  return { fake, submitted, type, submit };
}

describe('the submit form', () => {
  it('has the fields and button screen readers and tests name', () => {
    setup();
    for (const label of ['Command', 'Tasks', 'Requires', 'Cores', 'RAM (MB)', 'Retries', 'Cleanup'])
      expect(screen.getByLabelText(label)).toBeInstanceOf(HTMLInputElement);
    expect(screen.getByRole('button', { name: 'Submit' })).toBeTruthy();
  });

  it('sends a job with the fields as the protocol has them and says which job it became', async () => {
    const { fake, submitted, type, submit } = setup();
    await type('Command', '~/render.sh');
    await type('Tasks', '500');
    await type('Requires', 'linux, gpu');
    await type('Cores', '2');
    await type('RAM (MB)', '4096');
    await type('Retries', '3');
    await type('Cleanup', '~/cleanup.sh');
    await submit();
    await screen.findByText('Job 7 submitted');
    expect(fake.callsOf('jobs:submit')).toEqual([
      [
        {
          command: '~/render.sh',
          queue: 500,
          requires: ['linux', 'gpu'],
          cores: 2,
          ram: 4096,
          retries: 3,
          cleanup: '~/cleanup.sh',
        },
      ],
    ]);
    expect(submitted).toEqual([7]);
  });

  it.each([
    ['Tasks', '0', 'Tasks: must be a whole number from 1 to 10000000 (got 0)'],
    ['Tasks', 'lots', "Tasks: must be a whole number from 1 to 10000000 (got 'lots')"],
    ['Cores', '2000', 'Cores: must be a whole number from 1 to 1024 (got 2000)'],
    ['RAM (MB)', '-1', 'RAM (MB): must be a whole number of MB from 0 to 16777216 (got -1)'],
    ['Requires', 'gpu!', 'Requires: must be a list of at most 32 tags'],
  ])(
    'refuses %s %j with the protocol’s reason before sending anything',
    async (label, value, reason) => {
      const { fake, type, submit } = setup();
      await type('Command', 'run.sh');
      await type(label, value);
      await submit();
      const alert = await screen.findByRole('alert');
      expect(alert.textContent).toContain(reason);
      expect(screen.getByLabelText(label).getAttribute('aria-invalid')).toBe('true');
      expect(document.activeElement).toBe(screen.getByLabelText(label));
      expect(fake.callsOf('jobs:submit')).toEqual([]);
    },
  );

  it('refuses a blank command', async () => {
    const { fake, type, submit } = setup();
    await type('Command', '   ');
    await submit();
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /^Command: must be a non-blank command line/,
    );
    expect(fake.calls).toEqual([]);
  });

  it('shows the head node’s refusal as it came', async () => {
    const { type, submit } = setup({
      'jobs:submit': () =>
        refuse('forbidden', 'admin@lab.example may not submit jobs to this manager'),
    });
    await type('Command', 'run.sh');
    await submit();
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'The head node refused the job: admin@lab.example may not submit jobs to this manager',
      ),
    );
  });
});
