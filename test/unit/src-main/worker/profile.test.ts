import { platform, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ProfileOptionsError, readProfile } from '../../../../src-main/worker/profile.ts';

const expectedOs: Record<string, string> = { linux: 'Linux', win32: 'Windows', darwin: 'Darwin' };

describe('readProfile', () => {
  it('describes this machine', async () => {
    const profile = await readProfile({});
    expect(profile.os).toBe(expectedOs[platform()] ?? platform());
    expect(Number.isInteger(profile.ram)).toBe(true);
    expect(Math.abs(profile.ram - totalmem() / 2 ** 20)).toBeLessThanOrEqual(1);
    expect(Number.isInteger(profile.cores)).toBe(true);
    expect(profile.cores).toBeGreaterThanOrEqual(1);
    expect(profile.slots).toBe(profile.cores);
    expect(profile.provides).toEqual([]);
  });

  it('deduplicates and sorts provides, and keeps the slots it is given', async () => {
    const profile = await readProfile({ provides: ['gpu', 'FOO', 'BAR', 'gpu'], slots: 3 });
    expect(profile.provides).toEqual(['BAR', 'FOO', 'gpu']);
    expect(profile.slots).toBe(3);
  });

  it('rejects invalid options with a typed error', async () => {
    await expect(readProfile({ slots: 0 })).rejects.toThrow(ProfileOptionsError);
    await expect(readProfile({ slots: 1.5 })).rejects.toMatchObject({
      code: 'profile-invalid-options',
    });
    await expect(readProfile({ provides: [''] })).rejects.toThrow(ProfileOptionsError);
  });
});
