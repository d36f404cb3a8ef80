import { describe, expect, it } from 'vitest';
import { parseLaunch } from '../../../../src-main/desktop/launch.ts';

describe('the desktop app’s command line', () => {
  it('is a volunteer shown at once by default', () => {
    expect(parseLaunch(['/opt/Kestrel/kestrel-desktop'])).toEqual({
      mode: 'volunteer',
      minimized: false,
      link: undefined,
    });
  });

  it('reads --head and --minimized among Chromium’s own switches', () => {
    expect(
      parseLaunch(['/opt/Kestrel/kestrel-desktop', '--enable-features=X', '--head', '--minimized']),
    ).toEqual({ mode: 'head', minimized: true, link: undefined });
  });

  it('finds a kestrel:// link the system opened the app with, in any case', () => {
    const link =
      'kestrel://join?server=lab%3A5222&domain=lab.example&manager=m%40lab.example&token=t';
    expect(parseLaunch(['/usr/bin/electron', '.', link]).link).toBe(link);
    expect(parseLaunch(['x', 'KESTREL://join?token=t']).link).toBe('KESTREL://join?token=t');
    expect(parseLaunch(['x', 'https://example.org']).link).toBeUndefined();
  });
});
