// Joining a pool, for `kestrel worker --join` and the desktop app's join screen alike: with an
// invite link, register this machine's own account with its one-time token (XEP-0445); with an
// account entered by hand, check that it logs in. Either way the settings are kept in
// DATA_DIR/joined.json (mode 0600), which later starts use when no config file is named; the
// desktop app keeps the password sealed by the OS keychain beside it (joined-secret.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { JOIN_ERROR_CODES, JoinRequest } from '../../shared/api.ts';
import { loadConfig, serviceUrl, type Config } from '../common/config.ts';
import { bareJid, domainOf, localOf } from '../common/jid.ts';
import { parseInviteLink } from '../../shared/invite-link.ts';
import { createConnection } from '../xmpp/connection.ts';
import { toLoginError, XmppError } from '../xmpp/errors.ts';
import { registerWithInvite } from '../xmpp/register.ts';
import { isPin } from '../xmpp/starttls.ts';
import { openSealed, sealInPlace, writeJoined, type SecretBox } from './joined-secret.ts';

export type JoinErrorCode = (typeof JOIN_ERROR_CODES)[number];

/** A join that failed, with a code the join screen has advice for and a message for people. */
export class JoinError extends Error {
  override readonly name = 'JoinError';
  readonly code: JoinErrorCode;
  /** The pool or server it was about (`pool.example at host:5222`), when it got that far. */
  readonly where: string | undefined;
  constructor(code: JoinErrorCode, message: string, where?: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
    this.where = where;
  }
}

export interface JoinedConfig {
  server: string;
  jid: string;
  password: string;
  manager: string;
  pin?: string;
}

export const joinedConfigPath = (dataDir: string): string => join(dataDir, 'joined.json');

/**
 * The configuration a worker runs with: file < env < flags, where the file is the one named,
 * else DATA_DIR/joined.json once the machine has joined, else the default config file. A
 * joined.json whose password is sealed (joined-secret.ts) needs the `box` that sealed it.
 */
export function loadWorkerConfig(
  flags: Config,
  env: NodeJS.ProcessEnv,
  configPath?: string,
  box?: SecretBox,
): ReturnType<typeof loadConfig> {
  const base = loadConfig(flags, env, configPath);
  const joined = joinedConfigPath(base.dataDir);
  if (configPath !== undefined || !existsSync(joined)) return base;
  const config = loadConfig(flags, env, joined);
  if (box) sealInPlace(base.dataDir, joined, box);
  // A password from the flags or the environment wins over the sealed one, as over the file's.
  if (config.password !== undefined) return config;
  const password = openSealed(base.dataDir, box);
  return password === undefined ? config : { ...config, password };
}

/** The XMPP layer's login codes in words for people, for a join (`where`: the server). */
function joinFailure(error: unknown, where: string, pinned: boolean): JoinError {
  const e = error instanceof XmppError ? error : toLoginError(error);
  switch (e.code) {
    case 'tls_untrusted':
      return new JoinError(
        'pin_mismatch',
        pinned
          ? `the server's certificate is not the one the invite names (${e.message}): someone may be in between`
          : `the server's certificate is not trusted (${e.message}); give its fingerprint as the pin`,
        where,
        e,
      );
    case 'tls_required':
      return new JoinError(
        'unreachable',
        `${e.message}; nothing secret was sent: check the address`,
        where,
        e,
      );
    case 'auth_failed':
      return new JoinError(
        'wrong_password',
        `the server refused the account: ${e.message}`,
        where,
        e,
      );
    default:
      return new JoinError('unreachable', `the server does not answer: ${e.message}`, where, e);
  }
}

function save(dataDir: string, config: JoinedConfig, box: SecretBox | undefined): JoinedConfig {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeJoined(dataDir, joinedConfigPath(dataDir), { ...config }, box);
  return config;
}

async function joinByInvite(
  link: string,
  dataDir: string,
  box: SecretBox | undefined,
): Promise<JoinedConfig> {
  let invite;
  try {
    invite = parseInviteLink(link);
  } catch (error) {
    throw new JoinError('bad_invite', `not a usable invite: ${(error as Error).message}`);
  }
  const base =
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40) || 'worker';
  const username = `${base}-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const where = `${invite.domain} at ${invite.server}`;
  try {
    await registerWithInvite({
      service: serviceUrl(invite.server),
      domain: invite.domain,
      token: invite.token,
      username,
      password,
      pin: invite.pin,
    });
  } catch (error) {
    // The server refused the registration itself: the one-time token is spent or has expired.
    if (error instanceof XmppError && error.code === 'auth_failed')
      throw new JoinError(
        'invite_used',
        `the server refused the invite (used or expired): ${error.message}`,
        where,
        error,
      );
    throw joinFailure(error, where, invite.pin !== undefined);
  }
  return save(
    dataDir,
    {
      server: serviceUrl(invite.server),
      jid: `${username}@${invite.domain}`,
      password,
      manager: invite.manager,
      ...(invite.pin === undefined ? {} : { pin: invite.pin }),
    },
    box,
  );
}

async function joinByAccount(
  account: Exclude<JoinRequest, { link: string }>,
  dataDir: string,
  box: SecretBox | undefined,
): Promise<JoinedConfig> {
  const { server, jid, password, manager, pin } = account;
  if (!/^[^@/\s]+@[^@/\s]+$/.test(jid))
    throw new JoinError('bad_invite', `'${jid}' is not an account such as worker@pool.example`);
  if (!/^[^@/\s]+@[^@/\s]+/.test(manager))
    throw new JoinError('bad_invite', `'${manager}' is not a manager such as manager@pool.example`);
  if (pin !== undefined && !isPin(pin))
    throw new JoinError('bad_invite', 'the pin must be a SHA-256 fingerprint (64 hex digits)');
  const service = serviceUrl(server.trim());
  const connection = createConnection({
    service,
    domain: domainOf(jid),
    username: localOf(jid),
    password,
    resource: `join-${randomBytes(3).toString('hex')}`,
    reconnect: false,
    pin,
  });
  connection.on('error', () => undefined); // the start() rejection says it
  try {
    await connection.start();
  } catch (error) {
    throw joinFailure(error, service, pin !== undefined);
  } finally {
    await connection.stop().catch(() => undefined);
  }
  return save(
    dataDir,
    {
      server: service,
      jid,
      password,
      manager: bareJid(manager),
      ...(pin === undefined ? {} : { pin }),
    },
    box,
  );
}

/**
 * Joins and keeps the settings in DATA_DIR/joined.json (the password sealed by `box` when
 * given); rejects with a JoinError.
 */
export function joinPool(
  request: JoinRequest,
  dataDir: string,
  box?: SecretBox,
): Promise<JoinedConfig> {
  return 'link' in request
    ? joinByInvite(request.link, dataDir, box)
    : joinByAccount(request, dataDir, box);
}
