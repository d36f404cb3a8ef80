/** Exit codes of the `kestrel` command, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The job ended with failed or cancelled tasks, or the manager refused the request. */
  failed: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** Could not reach or log in to the XMPP server, or the manager did not answer. */
  connection: 3,
  /**
   * `kestrel manager` on a shared store: it is no longer the active manager (its PostgreSQL lock
   * went, or a write to the store failed), and another may have taken over.
   * It stopped at once; started again, it waits as a standby.
   */
  deposed: 4,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}
