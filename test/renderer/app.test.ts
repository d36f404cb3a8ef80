import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AppInfo } from '../../shared/api.ts';
import App from '../../src-renderer/App.svelte';
import { fakeClient, refuse, type FakeHandlers } from './fake-client.ts';
import { counters, snapshot, summary } from './fixtures.ts';

const HEAD: AppInfo = {
  mode: 'head',
  version: '0.1.0',
  areas: ['app', 'jobs', 'pool'],
  head: { domain: 'lab.example', xmppPort: 5222, manager: 'manager@lab.example' },
  caller: { jid: 'admin@lab.example', admin: true },
};

const headHandlers: FakeHandlers = {
  'app:info': () => HEAD,
  'jobs:list': () => ({ items: [summary()], total: 1, offset: 0 }),
  'pool:summary': () => ({ counters: counters(), throughput: [] }),
  'pool:workers': () => ({ items: [], total: 0, offset: 0 }),
};

describe('the app', () => {
  it('shows the Jobs and Pool views of a head node as tabs the arrow keys move between', async () => {
    render(App, { client: fakeClient(headHandlers).client });
    const jobs = await screen.findByRole('tab', { name: 'Jobs' });
    expect(jobs.getAttribute('aria-selected')).toBe('true');
    expect(await screen.findByRole('region', { name: 'Jobs' })).toBeTruthy();
    jobs.focus();
    await fireEvent.keyDown(jobs, { key: 'ArrowRight' });
    const pool = screen.getByRole('tab', { name: 'Pool' });
    expect(pool.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(pool);
    expect(await screen.findByRole('region', { name: 'Workers' })).toBeTruthy();
    await fireEvent.keyDown(pool, { key: 'Home' });
    expect(screen.getByRole('tab', { name: 'Jobs' }).getAttribute('aria-selected')).toBe('true');
  });

  it('asks for the printed URL when the token is missing or wrong', async () => {
    render(App, {
      client: fakeClient({
        'app:info': () => refuse('unauthorized', 'missing or wrong access token'),
      }).client,
      hasToken: false,
    });
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /needs its access token.*#token=…/s,
    );
  });

  it('says when it lost the head node and when it is back', async () => {
    const fake = fakeClient(headHandlers);
    render(App, { client: fake.client });
    await screen.findByText('connected');
    fake.emit('app:connection', { online: false, message: 'HTTP 502' });
    await screen.findByText('reconnecting…');
    fake.emit('app:connection', { online: true });
    await screen.findByText('connected');
  });

  it('says on the page that a job finished', async () => {
    const fake = fakeClient(headHandlers);
    render(App, { client: fake.client });
    await screen.findByRole('tab', { name: 'Jobs' });
    fake.emit('jobs:finished', {
      jobId: 3,
      counts: { queued: 0, running: 0, done: 38, failed: 2, cancelled: 0 },
    });
    await waitFor(() => expect(screen.getByText('Job 3 finished: 38 done, 2 failed')).toBeTruthy());
  });

  it('shows the join screen to a volunteer who has not joined a pool, and the view once joined', async () => {
    const fake = fakeClient({
      'app:info': () => ({ mode: 'volunteer', version: '0.1.0', areas: ['app', 'volunteer'] }),
      'volunteer:get-state': () => snapshot({ configured: false, state: 'offline', tasks: [] }),
      'volunteer:join': () => snapshot(),
      'volunteer:history': () => ({ items: [], total: 0, offset: 0 }),
    });
    render(App, { client: fake.client });
    await fireEvent.input(await screen.findByLabelText('Invite link'), {
      target: { value: 'kestrel://join?server=a&domain=b&manager=c&token=d' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    expect(await screen.findByRole('heading', { name: 'Working' })).toBeTruthy();
  });

  const LINK =
    'kestrel://join?server=lab-pc%3A5222&domain=lab.example&manager=manager%40lab.example&token=t1';
  const volunteerApp = (configured: boolean, open?: AppInfo['open']): FakeHandlers => ({
    'app:info': () => ({
      mode: 'volunteer',
      version: '0.1.0',
      areas: ['app', 'volunteer'],
      ...(open ? { open } : {}),
    }),
    'volunteer:get-state': () =>
      configured ? snapshot() : snapshot({ configured: false, state: 'offline', tasks: [] }),
    'volunteer:history': () => ({ items: [], total: 0, offset: 0 }),
  });

  it('fills the join screen with the link the app was opened with, for the volunteer to confirm', async () => {
    render(App, { client: fakeClient(volunteerApp(false, { link: LINK })).client });
    const field = (await screen.findByLabelText('Invite link')) as HTMLTextAreaElement;
    expect(field.value).toBe(LINK);
  });

  it('fills it too when a link comes later (a second launch), and says so when already joined', async () => {
    const fresh = fakeClient(volunteerApp(false));
    const first = render(App, { client: fresh.client });
    const field = (await screen.findByLabelText('Invite link')) as HTMLTextAreaElement;
    expect(field.value).toBe('');
    fresh.emit('app:open', { link: LINK });
    await waitFor(() =>
      expect((screen.getByLabelText('Invite link') as HTMLTextAreaElement).value).toBe(LINK),
    );
    first.unmount();
    const joined = fakeClient(volunteerApp(true));
    render(App, { client: joined.client });
    await screen.findByRole('heading', { name: 'Working' });
    joined.emit('app:open', { link: LINK });
    expect((await screen.findByText(/opened with an invite link/)).textContent).toMatch(
      /in a pool already \(manager@lab.example\); the link was not used/,
    );
  });

  it('opens the view the tray asked for: Pool…, then Submit job…', async () => {
    const fake = fakeClient({
      ...headHandlers,
      'app:info': () => ({ ...HEAD, open: { view: 'pool' } }),
    });
    render(App, { client: fake.client });
    await waitFor(() =>
      expect(screen.getByRole('tab', { name: 'Pool' }).getAttribute('aria-selected')).toBe('true'),
    );
    fake.emit('app:open', { view: 'jobs' });
    await waitFor(() =>
      expect(screen.getByRole('tab', { name: 'Jobs' }).getAttribute('aria-selected')).toBe('true'),
    );
  });

  it('shows a volunteer whether it is in the pool, rather than the always-up bridge', async () => {
    const fake = fakeClient(volunteerApp(true));
    render(App, { client: fake.client });
    expect((await screen.findByText('in the pool')).className).toContain('ok');
    fake.emit('volunteer:changed', snapshot({ state: 'offline', error: 'connection lost' }));
    expect((await screen.findByText('offline')).getAttribute('title')).toBe('connection lost');
  });
});
