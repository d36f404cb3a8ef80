import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readHeadConfig, readListening } from '../../head/head-config.ts';
import { inviteReachWarning } from '../../head/invite-reach.ts';
import { formatInviteLink } from '../../../shared/invite-link.ts';
import { openServerDatabase } from '../../server/database.ts';
import { createInviteStore } from '../../server/invites.ts';
import { intOption, type Parsed } from '../args.ts';
import { CliError, EXIT } from '../errors.ts';
import { headDir } from './head.ts';
import { rolesArgument } from './user.ts';

/** `kestrel invite`: a one-time link with which a volunteer's worker registers and joins. */
export async function runInvite(args: Parsed): Promise<number> {
  const dir = headDir(args);
  const head = readHeadConfig(dir);
  if (!head) throw new CliError(`no head node in ${dir}: run \`kestrel head\` first`, EXIT.usage);
  const certFile = join(dir, 'server', 'tls', `${head.domain}.crt`);
  if (!existsSync(certFile))
    throw new CliError(
      `no certificate in ${certFile}: start \`kestrel head\` once first`,
      EXIT.usage,
    );
  const pin = new X509Certificate(readFileSync(certFile)).fingerprint256;
  const hours = intOption(args.values, 'ttl', 1) ?? 168;
  const db = openServerDatabase(join(dir, 'server'));
  try {
    const roles =
      typeof args.values.role === 'string' ? rolesArgument(args.values.role) : ['worker' as const];
    if (roles.includes('admin'))
      throw new CliError('an invite cannot make an admin: use `kestrel user role`', EXIT.usage);
    const invite = createInviteStore(db).create({ ttlMs: hours * 3600 * 1000, roles });
    const host = typeof args.values.host === 'string' ? args.values.host : hostname();
    // The running head's address wins over head.json's (--port and --bind apply to one start).
    const listening = readListening(dir);
    const at = listening ?? { host: head.host, port: head.port };
    const warning = await inviteReachWarning(host, at.host);
    if (warning !== undefined) process.stderr.write(`kestrel invite: warning: ${warning}\n`);
    if (listening === undefined)
      process.stderr.write(
        `kestrel invite: note: no head node runs on ${dir} now; the link works once it does\n`,
      );
    const link = formatInviteLink({
      server: `${host}:${at.port}`,
      domain: head.domain,
      manager: head.manager.jid,
      token: invite.token,
      pin,
    });
    process.stdout.write(
      args.json
        ? `${JSON.stringify({ link, expires_at: invite.expiresAt.toISOString() })}\n`
        : `${link}\n\nOn the volunteer's machine: kestrel worker --join '${link}'\n(valid once, until ${invite.expiresAt.toISOString()})\n`,
    );
    return EXIT.ok;
  } finally {
    db.close();
  }
}
