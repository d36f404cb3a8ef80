import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The head node's own settings and credentials, made on first run with no questions asked and
 * kept in its data directory (mode 0600): the domain, the port, and the manager and admin
 * accounts it created. The manager's password is not kept: the head makes a new one at every
 * start (head-node.ts); a `password` left there by an older version is ignored.
 */

const headConfigSchema = z.object({
  domain: z.string().min(1),
  port: z.int().min(0).max(65535),
  host: z.string().min(1),
  manager: z.object({ jid: z.string() }),
  admin: z.object({ jid: z.string(), password: z.string() }),
});

export type HeadConfig = z.infer<typeof headConfigSchema>;

const DOMAIN_RE =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The host name when it is a usable XMPP domain, else `kestrel.local`. */
export function defaultDomain(name = hostname()): string {
  const lower = name.toLowerCase();
  return DOMAIN_RE.test(lower) && lower !== 'localhost' ? lower : 'kestrel.local';
}

export const newPassword = (): string => randomBytes(18).toString('base64url');

export function headConfigPath(dataDir: string): string {
  return join(dataDir, 'head.json');
}

export function readHeadConfig(dataDir: string): HeadConfig | undefined {
  const path = headConfigPath(dataDir);
  if (!existsSync(path)) return undefined;
  const parsed = headConfigSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(`${path} is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Where a running head node listens (its port and bind address may differ from head.json). */
export interface Listening {
  host: string;
  port: number;
  pid: number;
}

const listeningPath = (dataDir: string) => join(dataDir, 'listening.json');

export function writeListening(dataDir: string, listening: Listening): void {
  writeFileSync(listeningPath(dataDir), `${JSON.stringify(listening)}\n`, { mode: 0o600 });
}

export function clearListening(dataDir: string): void {
  rmSync(listeningPath(dataDir), { force: true });
}

/** The running head's address, or undefined when no head runs on this data directory. */
export function readListening(dataDir: string): Listening | undefined {
  try {
    const value = JSON.parse(readFileSync(listeningPath(dataDir), 'utf8')) as Listening;
    process.kill(value.pid, 0); // throws when that process is gone
    return value;
  } catch {
    return undefined;
  }
}

export function writeHeadConfig(dataDir: string, config: HeadConfig): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(headConfigPath(dataDir), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

/** A first-run configuration: nothing is written until the caller has created the accounts. */
export function freshHeadConfig(options: {
  domain?: string;
  port?: number;
  host?: string;
}): HeadConfig {
  const domain = options.domain ?? defaultDomain();
  return {
    domain,
    port: options.port ?? 5222,
    host: options.host ?? '127.0.0.1',
    manager: { jid: `manager@${domain}` },
    admin: { jid: `admin@${domain}`, password: newPassword() },
  };
}
