/** Limits shared by every party of protocol v1. Decoders enforce them; senders stay within them. */

/** The version every worker<->manager message carries in `v`. */
export const PROTOCOL_VERSION = 1;

/** Largest user request body, in UTF-16 characters (JavaScript string length). */
export const MAX_BODY = 65_536;

/**
 * Largest body any Kestrel party sends: senders keep every body under this many bytes as sent,
 * UTF-8 after XML escaping (see wireBytes, encodeMessage, encodeBatches); since a character is at
 * least one byte, receivers of worker traffic can check the cheaper string length. Half the common server stanza limit of 256 KiB (Prosody's
 * c2s_stanza_size_limit default, ejabberd's example max_stanza_size), leaving room for XML
 * escaping of the body text.
 */
export const MAX_WORKER_BODY = 131_072;

/** Deepest nesting of lists and objects in any body; deeper input is refused while parsing. */
export const MAX_DEPTH = 32;

/** Most tasks in one job; task indexes run from 0 to queue - 1. */
export const MAX_QUEUE = 10_000_000;

/** Longest `command` or `cleanup`. */
export const MAX_COMMAND = 4096;

/** A tag of `requires` or `provides`. */
export const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

/** Most tags a job may require. */
export const MAX_REQUIRES = 32;

/** Most tags a worker may provide. */
export const MAX_PROVIDES = 256;

export const MAX_CORES = 1024;

/** In MB: 16 TiB. */
export const MAX_RAM_MB = 16_777_216;

export const MAX_RETRIES = 100;

/** Longest wall-clock `timeout` a job may give its tasks, in seconds: 30 days. */
export const MAX_TIMEOUT_S = 2_592_000;

/** Longest bare JID (RFC 7622 §3.1: three parts of at most 1023 bytes, and the separators). */
export const MAX_JID = 3071;

/** Longest stdout/stderr tail (and spawn error) in a task result. */
export const TAIL_CHARS = 4096;

/** Most items in one `tasks`, `task_results`, `cancel_tasks` or `ack` message. */
export const MAX_BATCH = 1000;

/** Most failures listed in a one-job status reply. */
export const MAX_FAILURES_LISTED = 20;

/**
 * A `status` reply listing several jobs cuts each `command` to this many characters (a cut one
 * ends in STATUS_CUT), so a page holds many jobs; ask for one job_id for the whole command.
 */
export const STATUS_COMMAND_CHARS = 200;

/** A one-job `status` reply keeps the last this many characters of each failure's stderr. */
export const STATUS_TAIL_CHARS = 1024;

/** Marks where a `status` reply cut a command (at its end) or a stderr tail (at its start). */
export const STATUS_CUT = '…';

/**
 * Most workers in one `pool` reply; the manager also stops earlier so the body stays under
 * MAX_WORKER_BODY bytes (a worker with 256 long tags is large). `offset` pages through the rest.
 */
export const MAX_POOL_LISTED = 500;

/** Longest free-text `reason` in an error or rejection. */
export const MAX_REASON = 4096;
