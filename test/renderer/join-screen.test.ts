import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { VolunteerSnapshot } from '../../shared/api.ts';
import JoinScreen from '../../src-renderer/views/JoinScreen.svelte';
import { fakeClient, refuse } from './fake-client.ts';
import { snapshot } from './fixtures.ts';

const LINK =
  'kestrel://join?server=lab-pc.local%3A5222&domain=lab.example&manager=manager%40lab.example&token=Zk3q9&pin=' +
  'a'.repeat(64);

function setup(join: (request: unknown) => VolunteerSnapshot) {
  const joined: VolunteerSnapshot[] = [];
  const fake = fakeClient({ 'volunteer:join': join });
  render(JoinScreen, { client: fake.client, onjoined: (s: VolunteerSnapshot) => joined.push(s) });
  return { fake, joined };
}

const paste = (value: string) =>
  fireEvent.input(screen.getByLabelText('Invite link'), { target: { value } });

describe('the join screen', () => {
  it('joins with a good invite link and hands the new snapshot up', async () => {
    const { fake, joined } = setup(() => snapshot({ state: 'idle' }));
    await paste(`  ${LINK}\n`);
    await fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    await waitFor(() => expect(joined.map((s) => s.state)).toEqual(['idle']));
    expect(fake.callsOf('volunteer:join')).toEqual([[{ link: LINK }]]);
  });

  it('says a pasted text is not an invite link without asking anyone', async () => {
    const { fake } = setup(() => snapshot());
    await paste('https://lab.example/join');
    await fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /Not an invite link\..*starting with kestrel:\/\/join\?/,
    );
    expect(fake.calls).toEqual([]);
  });

  it.each([
    ['invite_used', 'the token was used', /used already or has expired.*new one/],
    ['bad_invite', 'the invite link has no token', /not a complete invite link/],
    ['unreachable', 'connect ECONNREFUSED 10.0.0.5:5222', /does not answer.*ECONNREFUSED/],
    ['pin_mismatch', 'the server certificate is not the one pinned', /Do not go on/],
  ])('explains a join refused with %s', async (code, message, advice) => {
    setup(() => refuse(code, message));
    await paste(LINK);
    await fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/^Could not join with this invite\./);
    expect(alert.textContent).toMatch(advice);
    expect(alert.textContent).toContain(message);
  });

  it('joins with an account entered by hand, and says when its password is wrong', async () => {
    const { fake } = setup(() => refuse('wrong_password', 'not-authorized'));
    await fireEvent.input(screen.getByLabelText('Server'), {
      target: { value: 'xmpp.lab.example:5222' },
    });
    await fireEvent.input(screen.getByLabelText('Account'), {
      target: { value: 'pc1@lab.example' },
    });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    await fireEvent.input(screen.getByLabelText('Manager'), {
      target: { value: 'manager@lab.example' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Join with this account' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /^Could not join as pc1@lab.example\. The server refused this account and password/,
    );
    expect(fake.callsOf('volunteer:join')).toEqual([
      [
        {
          server: 'xmpp.lab.example:5222',
          jid: 'pc1@lab.example',
          password: 'pw',
          manager: 'manager@lab.example',
        },
      ],
    ]);
  });

  it('shows the invite the app was opened with, for the volunteer to check before joining', async () => {
    const fake = fakeClient({ 'volunteer:join': () => snapshot() });
    render(JoinScreen, { client: fake.client, link: LINK, onjoined: () => undefined });
    expect(screen.getByRole('status').textContent?.replace(/\s+/g, ' ')).toBe(
      'Kestrel was opened with an invite to the pool lab.example (manager manager@lab.example, server lab-pc.local:5222). Join only if you expect it.',
    );
    expect((screen.getByLabelText('Invite link') as HTMLTextAreaElement).value).toBe(LINK);
    // Nothing is joined until the volunteer says so.
    expect(fake.calls).toEqual([]);
  });
});
