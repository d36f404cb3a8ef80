import { describe, expect, it } from 'vitest';
import {
  openManagerStore,
  redactUrl,
  storable,
  StoreError,
} from '../../../../src-main/manager/store.ts';

describe('where the manager keeps its store', () => {
  it('refuses a URL that is not PostgreSQL, without showing its password', async () => {
    const error = await openManagerStore('mysql://kestrel:hunter2@db/kestrel').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'bad_location' });
    expect(String(error)).toContain('postgres://');
    expect(String(error)).not.toContain('hunter2');
  });

  it('keeps passwords out of logs', () => {
    expect(redactUrl('postgres://kestrel:hunter2@db.pool.example:5432/kestrel')).toBe(
      'postgres://kestrel:***@db.pool.example:5432/kestrel',
    );
    expect(redactUrl('postgres://kestrel@localhost/k?host=/tmp/s')).toBe(
      'postgres://kestrel@localhost/k?host=/tmp/s',
    );
    expect(redactUrl('/var/lib/kestrel/manager.db')).toBe('/var/lib/kestrel/manager.db');
  });

  it('stores any text a task printed: NUL and lone surrogates become U+FFFD, the rest stays', () => {
    expect(storable('plain ✓ 🙂')).toBe('plain ✓ 🙂');
    expect(storable('a\u0000b\ud800c\udfffd')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(storable(null)).toBeNull();
  });
});
