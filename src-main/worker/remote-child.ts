// A task process as the worker sees it: Node's ChildProcess, or one the spawn helper started
// (task-launcher.ts), which looks the same to the code that runs tasks: its pid once it has
// started ('spawn'), its output on stdio streams, writes to its extra pipes, 'exit', 'close'.
import { EventEmitter } from 'node:events';
import { Duplex, Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** What the worker uses of a task process (a subset of ChildProcess). */
export interface TaskChild {
  /** Undefined until it has started ('spawn'), and for good if it could not. */
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** [stdin (none), stdout, stderr, extra pipes…]: extra pipes are read and written. */
  readonly stdio: readonly (Readable | Writable | null | undefined)[];
  once(event: 'spawn' | 'close', listener: () => void): this;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/** Where a remote child's writes to its extra pipes go. */
export type PipeWrite = (fd: number, data: string, end: boolean) => void;

export class TaskChildLostError extends Error {
  override readonly name = 'TaskChildLostError';
  readonly code = 'spawn-helper-lost';
}

export class RemoteChild extends EventEmitter implements TaskChild {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdio: (Readable | Duplex | null)[];
  private over = false;
  /** The helper has said all there is of it, or is gone: nothing to let go of. */
  private settled = false;
  private write: PipeWrite;
  private readonly release: () => void;

  /** `release`: the worker is done with it before the helper said so (a stream destroyed). */
  constructor(pipes: number, write: PipeWrite, release: () => void) {
    super();
    this.write = write;
    this.release = release;
    // A stream destroyed before its end came: the worker gives up on the process (its pipes were
    // held open past its exit), the helper can let go too. Ended streams destroy themselves.
    const early = (stream: Readable): void => {
      if (this.settled || stream.readableEnded) return;
      this.settled = true;
      this.release();
    };
    const extra = (fd: number) =>
      new Duplex({
        // Its output ends the pipe, as a socket's end does (allowHalfOpen false).
        allowHalfOpen: false,
        read: () => undefined,
        destroy(err, done) {
          early(this);
          done(err);
        },
        write: (chunk: Buffer | string, _encoding, done) => {
          this.write(fd, chunk.toString(), false);
          done();
        },
        final: (done) => {
          this.write(fd, '', true);
          done();
        },
      });
    const output = () =>
      new Readable({
        read: () => undefined,
        destroy(err, done) {
          early(this);
          done(err);
        },
      });
    this.stdio = [
      null,
      output(),
      output(),
      ...Array.from({ length: pipes }, (_, i) => extra(i + 3)),
    ];
  }

  spawned(pid: number): void {
    this.pid = pid;
    this.emit('spawn');
  }

  data(fd: number, data: string | Buffer): void {
    const stream = this.stdio[fd];
    if (stream && !stream.destroyed && !stream.readableEnded) stream.push(data);
  }

  eof(fd: number): void {
    const stream = this.stdio[fd];
    if (stream && !stream.destroyed && !stream.readableEnded) stream.push(null);
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }

  /** 'close' once its streams have given all they had, as for a ChildProcess. */
  closed(): void {
    this.settled = true;
    const streams = this.stdio.filter((s) => s !== null);
    // Nothing more comes (the helper may say so before each pipe's own end). A pipe nobody
    // reads (a gate) ends only once it flows; what it held is of no use now.
    this.stdio.forEach((stream, fd) => {
      this.eof(fd);
      stream?.resume();
    });
    void Promise.all(streams.map((s) => finished(s).catch(() => undefined))).then(() => {
      if (!this.over) {
        this.over = true;
        this.emit('close', this.exitCode, this.signalCode);
      }
    });
  }

  /** It could not be started, or whoever held it is gone: its streams end, 'error' says why. */
  fail(err: Error): void {
    if (this.over) return;
    this.over = true;
    this.settled = true;
    for (const stream of this.stdio) stream?.destroy();
    this.emit('error', err);
  }
}
