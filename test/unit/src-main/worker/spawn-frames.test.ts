import { describe, expect, it } from 'vitest';
import {
  createFrameReader,
  encodeToHelper,
  SpawnFrameError,
} from '../../../../src-main/worker/spawn-frames.ts';

/** A frame as the helper writes it: length, type, id, u32 words, bytes. */
function helperFrame(type: string, id: number, words: number[], bytes = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(5 + 4 * words.length + bytes.length);
  body.write(type, 0, 'latin1');
  body.writeUInt32LE(id, 1);
  words.forEach((w, i) => body.writeUInt32LE(w, 5 + 4 * i));
  bytes.copy(body, 5 + 4 * words.length);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([len, body]);
}

describe('spawn frames', () => {
  it('encode a spawn request with its counts, NUL-terminated strings and no undefined variables', () => {
    const frame = encodeToHelper({
      t: 'spawn',
      id: 7,
      file: '/bin/sh',
      argv: ['/bin/sh', '-c', 'true 1'],
      cwd: '/tmp/w',
      env: { PATH: '/usr/bin', GONE: undefined, EMPTY: '' },
      extra: 1,
    });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    expect(frame.toString('latin1', 4, 5)).toBe('S');
    // id, extra, argc, envc, nice, gate fd
    expect([5, 9, 13, 17, 21, 25].map((at) => frame.readUInt32LE(at))).toEqual([7, 1, 3, 2, 0, 0]);
    expect(frame.toString('utf8', 29).split('\0')).toEqual([
      '/bin/sh',
      '/tmp/w',
      '', // no cgroup
      '', // no gate
      '/bin/sh',
      '-c',
      'true 1',
      'PATH=/usr/bin',
      'EMPTY=',
      '',
    ]);
  });

  it('encode the cgroup, niceness and gate a task is started with', () => {
    const frame = encodeToHelper({
      ...{ t: 'spawn', id: 1, file: '/bin/sh', argv: ['sh'], cwd: '/', env: {}, extra: 1 },
      enter: { cgroup: '/sys/fs/cgroup/k/kestrel-1-1', nice: 10, gate: { fd: 3, data: 'go\n' } },
    });
    expect([21, 25].map((at) => frame.readUInt32LE(at))).toEqual([10, 3]);
    expect(frame.toString('utf8', 29).split('\0').slice(2, 4)).toEqual([
      '/sys/fs/cgroup/k/kestrel-1-1',
      'go\n',
    ]);
    const bad = { cgroup: '/c', nice: 10, gate: { fd: 4, data: '1' } };
    expect(() =>
      encodeToHelper({
        t: 'spawn',
        id: 1,
        file: '/bin/sh',
        argv: ['sh'],
        cwd: '/',
        env: {},
        extra: 1,
        enter: bad,
      }),
    ).toThrow(/the gate must be one of the extra pipes/);
  });

  it('refuse what the helper could not take: a NUL in a string, too many pipes', () => {
    const spawn = { t: 'spawn', id: 1, file: '/bin/sh', cwd: '/', env: {}, extra: 0 } as const;
    expect(() => encodeToHelper({ ...spawn, argv: ['/bin/sh', 'a\0b'] })).toThrow(SpawnFrameError);
    expect(() => encodeToHelper({ ...spawn, argv: ['sh'], env: { A: 'x\0' } })).toThrow(
      /environment variable A holds a NUL/,
    );
    expect(() => encodeToHelper({ ...spawn, argv: ['sh'], extra: 6 })).toThrow(/at most 5/);
  });

  it('encode writes and forgets', () => {
    const write = encodeToHelper({ t: 'write', id: 2, fd: 3, data: 'go\n', end: true });
    expect([...write]).toEqual([13, 0, 0, 0, 87, 2, 0, 0, 0, 3, 0, 0, 0, 1, 103, 111, 10]);
    expect([...encodeToHelper({ t: 'forget', id: 258 })]).toEqual([5, 0, 0, 0, 75, 2, 1, 0, 0]);
  });

  it('decode every frame of the helper, whatever the chunks it comes in', () => {
    const stream = Buffer.concat([
      helperFrame('P', 1, [4321]),
      helperFrame('D', 1, [1], Buffer.from('héllo')),
      helperFrame('E', 1, [1]),
      helperFrame('X', 1, [3, 0]),
      helperFrame('X', 2, [0xffffffff, 9]),
      helperFrame('F', 3, [], Buffer.from('/bin/sh: No such file or directory (ENOENT)')),
      helperFrame('C', 1, []),
    ]);
    const expected = [
      { t: 'spawned', id: 1, pid: 4321 },
      { t: 'data', id: 1, fd: 1, data: Buffer.from('héllo') },
      { t: 'eof', id: 1, fd: 1 },
      { t: 'exit', id: 1, code: 3, signal: null },
      { t: 'exit', id: 2, code: null, signal: 9 },
      { t: 'failed', id: 3, message: '/bin/sh: No such file or directory (ENOENT)' },
      { t: 'close', id: 1 },
    ];
    expect(createFrameReader().push(stream)).toEqual(expected);
    for (const size of [1, 3, 7]) {
      const reader = createFrameReader();
      const got = [];
      for (let at = 0; at < stream.length; at += size)
        got.push(...reader.push(stream.subarray(at, at + size)));
      expect(got).toEqual(expected);
    }
  });

  it('refuse a frame it does not know', () => {
    expect(() => createFrameReader().push(helperFrame('Z', 1, []))).toThrow(
      /an unknown frame type "Z"/,
    );
    expect(() => createFrameReader().push(helperFrame('P', 1, []))).toThrow(/a short 'P' frame/);
  });
});
