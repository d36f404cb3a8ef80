// The frames the worker and its spawn helper (src-native/spawn-helper.c, started by
// task-launcher.ts) exchange on the helper's stdin and stdout. Each frame: a u32 little-endian
// length of what follows, a type byte, the child's id (u32), then the type's fields; numbers are
// u32 little-endian, strings end with a NUL. Pure encoding and decoding, no I/O.
//
// Worker → helper:
//   'S' id extra argc envc nice gatefd file cwd cgroup gate argv[argc] env[envc]
//                                                          start a process (argv[0] included):
//                                                          in `cgroup` unless "", at `nice` unless
//                                                          0, `gate` written to `gatefd` unless 0
//   'W' id fd end(u8) bytes                                to one of its extra pipes; end closes it
//   'K' id                                                 let go of it: close its pipes, say no more
// Helper → worker:
//   'P' id pid              it runs
//   'F' id text             it could not be started (nothing of it runs)
//   'D' id fd bytes         output on one of its pipes
//   'E' id fd               that pipe has ended
//   'X' id code signal      it exited: code, or 0xffffffff when a signal (number) ended it
//   'C' id                  it has exited and all its pipes have ended: nothing more comes

export type ToHelper =
  | {
      t: 'spawn';
      id: number;
      file: string;
      /** With argv[0]. */
      argv: readonly string[];
      cwd: string;
      env: NodeJS.ProcessEnv;
      /** Pipes after stdin, stdout and stderr (fd 3, 4, …). */
      extra: number;
      /** Started in this cgroup, at this niceness, with `gate` written at once: see Entry. */
      enter?: Entry;
    }
  | { t: 'write'; id: number; fd: number; data: string; end: boolean }
  | { t: 'forget'; id: number };

/**
 * What the helper does for a task as it starts it, where the worker would otherwise do it once
 * the process exists (confinement.ts): the process starts in its cgroup and at its niceness, and
 * the gate it waits on (an extra pipe) is written right away.
 */
export interface Entry {
  cgroup: string;
  nice: number;
  gate: { fd: number; data: string };
}

export type FromHelper =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'failed'; id: number; message: string }
  | { t: 'data'; id: number; fd: number; data: Buffer }
  | { t: 'eof'; id: number; fd: number }
  | { t: 'exit'; id: number; code: number | null; signal: number | null }
  | { t: 'close'; id: number };

/** The most the helper takes of one process (src-native/spawn-helper.c MAX_EXTRA). */
export const MAX_EXTRA_PIPES = 5;
const NO_CODE = 0xffffffff;

export class SpawnFrameError extends Error {
  override readonly name = 'SpawnFrameError';
  readonly code = 'spawn-frame-invalid';
}

function withHeader(type: string, id: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(9 + body.length);
  frame.writeUInt32LE(5 + body.length, 0);
  frame.write(type, 4, 'latin1');
  frame.writeUInt32LE(id, 5);
  body.copy(frame, 9);
  return frame;
}

const u32s = (...values: number[]): Buffer => {
  const buf = Buffer.allocUnsafe(4 * values.length);
  values.forEach((v, i) => buf.writeUInt32LE(v, 4 * i));
  return buf;
};

function cString(value: string, what: string): string {
  if (value.includes('\0')) throw new SpawnFrameError(`${what} holds a NUL character`);
  return `${value}\0`;
}

export function encodeToHelper(m: ToHelper): Buffer {
  if (m.t === 'forget') return withHeader('K', m.id, Buffer.alloc(0));
  if (m.t === 'write') {
    const data = Buffer.from(m.data);
    return withHeader('W', m.id, Buffer.concat([u32s(m.fd), Buffer.from([m.end ? 1 : 0]), data]));
  }
  if (!(m.extra >= 0 && m.extra <= MAX_EXTRA_PIPES))
    throw new SpawnFrameError(`at most ${MAX_EXTRA_PIPES} extra pipes`);
  // As Node does for spawn(): entries whose value is undefined are left out.
  const env = Object.entries(m.env).flatMap(([k, v]) =>
    v === undefined ? [] : [cString(`${k}=${v}`, `environment variable ${k}`)],
  );
  const { enter } = m;
  if (enter !== undefined && !(enter.gate.fd >= 3 && enter.gate.fd < 3 + m.extra))
    throw new SpawnFrameError('the gate must be one of the extra pipes');
  if (enter !== undefined && !(Number.isInteger(enter.nice) && Math.abs(enter.nice) <= 19))
    throw new SpawnFrameError('the niceness must be an integer of -19 to 19');
  const strings = [
    cString(m.file, 'the file'),
    cString(m.cwd, 'the working directory'),
    cString(enter?.cgroup ?? '', 'the cgroup'),
    cString(enter?.gate.data ?? '', 'the gate'),
    ...m.argv.map((a) => cString(a, 'an argument')),
    ...env,
  ].join('');
  const head = u32s(
    m.extra,
    m.argv.length,
    env.length,
    (enter?.nice ?? 0) >>> 0,
    enter?.gate.fd ?? 0,
  );
  return withHeader('S', m.id, Buffer.concat([head, Buffer.from(strings)]));
}

function decodeOne(frame: Buffer): FromHelper {
  if (frame.length < 5) throw new SpawnFrameError('a frame shorter than its id');
  const type = String.fromCharCode(frame[0] ?? 0);
  const id = frame.readUInt32LE(1);
  const need = (n: number) => {
    if (frame.length < 5 + n) throw new SpawnFrameError(`a short '${type}' frame`);
  };
  switch (type) {
    case 'P':
      need(4);
      return { t: 'spawned', id, pid: frame.readUInt32LE(5) };
    case 'F':
      return { t: 'failed', id, message: frame.toString('utf8', 5) };
    case 'D':
      need(4);
      return { t: 'data', id, fd: frame.readUInt32LE(5), data: frame.subarray(9) };
    case 'E':
      need(4);
      return { t: 'eof', id, fd: frame.readUInt32LE(5) };
    case 'X': {
      need(8);
      const code = frame.readUInt32LE(5);
      const signal = frame.readUInt32LE(9);
      return { t: 'exit', id, code: code === NO_CODE ? null : code, signal: signal || null };
    }
    case 'C':
      return { t: 'close', id };
    default:
      throw new SpawnFrameError(`an unknown frame type ${JSON.stringify(type)}`);
  }
}

/** Takes the helper's output as it comes, in chunks of any size; gives the whole frames. */
export function createFrameReader(): { push(chunk: Buffer): FromHelper[] } {
  let pending = Buffer.alloc(0);
  return {
    push(chunk) {
      let buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const frames: FromHelper[] = [];
      while (buf.length >= 4) {
        const len = buf.readUInt32LE(0);
        if (buf.length < 4 + len) break;
        // A copy for output (kept by streams); the rest is read at once.
        const body = buf.subarray(4, 4 + len);
        const m = decodeOne(body);
        frames.push(m.t === 'data' ? { ...m, data: Buffer.from(m.data) } : m);
        buf = buf.subarray(4 + len);
      }
      pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
      return frames;
    },
  };
}
