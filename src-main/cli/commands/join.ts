import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { newPassword } from '../../head/head-config.ts';
import { parseInviteLink } from '../../head/invite-link.ts';
import { registerWithInvite } from '../../xmpp/register.ts';
import type { Config } from '../../common/config.ts';
import { serviceUrl } from '../../common/config.ts';
import { CliError, EXIT } from '../errors.ts';

/**
 * `kestrel worker --join LINK`: register this machine's own account with the invite's one-time
 * token, keep the resulting settings in DATA_DIR/joined.json (mode 0600) and return them.
 */
export async function joinPool(link: string, dataDir: string): Promise<Config & { pin?: string }> {
  let invite;
  try {
    invite = parseInviteLink(link);
  } catch (error) {
    throw new CliError(`--join: ${(error as Error).message}`, EXIT.usage);
  }
  const base =
    hostname()
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40) || 'worker';
  const username = `${base}-${randomBytes(3).toString('hex')}`;
  const password = newPassword();
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
    throw new CliError(
      `could not join ${invite.domain} at ${invite.server}: ${(error as Error).message}`,
      EXIT.connection,
    );
  }
  const config = {
    server: serviceUrl(invite.server),
    jid: `${username}@${invite.domain}`,
    password,
    manager: invite.manager,
    ...(invite.pin === undefined ? {} : { pin: invite.pin }),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, 'joined.json'), `${JSON.stringify(config, null, 2)}\n`, {
    mode: 0o600,
  });
  return config;
}
