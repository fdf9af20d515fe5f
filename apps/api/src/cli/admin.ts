import 'reflect-metadata';
import { HttpException } from '@nestjs/common';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@tollgate/config';
import { AdminActionsRepository, AdminAuditRepository, AdminUsersRepository, ApiKeyRepository, createDataSource } from '@tollgate/persistence';
import { AdminAuditService } from '../admin/admin-audit.service';
import { ADMIN_ROLES, AdminAuthService, AdminRole, AdminUserError } from '../admin/auth/admin-auth.service';
import { idParam, issueMerchantKeyBody } from '../admin/admin-input';
import { MerchantKeyIssuer } from '../admin/merchant-key-issuer';
import { parseInput } from '../merchant-api/validation';
import { runCli } from './run-cli';

const USAGE = `usage: npm run admin -- <command> [options]
  create-user  --username <name> --role viewer|operator   password from stdin (piped) or an interactive prompt
  set-password --username <name>                           same; ends the user's sessions
  disable-user --username <name>
  list-users
  create-token --name <name> --role viewer|operator        prints an admin API token (tga_…) once
  revoke-token --token <prefix or id>
  issue-merchant-key --merchant <id> [--name <label>] [--revoke-existing]
                                                           prints a new merchant API key (tg_…) once`;

/** Reads a password without echo from a TTY, or the first line of piped stdin. Never from argv (shell history). */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) data += chunk;
    return data.split(/\r?\n/)[0];
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (ch: string) => {
      for (const c of ch) {
        if (c === '\r' || c === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(value);
        }
        if (c === '\u0003') {
          stdin.setRawMode(false);
          return reject(new Error('cancelled'));
        }
        if (c === '\u007f') value = value.slice(0, -1);
        else value += c;
      }
    };
    stdin.on('data', onData);
  });
}

async function askNewPassword(): Promise<string> {
  const first = await readPassword('password (12+ characters): ');
  if (process.stdin.isTTY) {
    const second = await readPassword('again: ');
    if (first !== second) throw new AdminUserError('the passwords differ');
  }
  return first;
}

/**
 * `npm run admin -- …`: admin users (argon2id-hashed passwords) and admin API tokens for the operator
 * console. Every change is written to the admin audit log as `cli:<os user>`.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      token: { type: 'string' },
      merchant: { type: 'string' },
      'revoke-existing': { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  const role = values.role as AdminRole | undefined;
  const needRole = () => {
    if (!role || !ADMIN_ROLES.includes(role)) throw new AdminUserError(`--role must be one of ${ADMIN_ROLES.join(', ')}`);
    return role;
  };
  const needUser = () => {
    if (!values.username) throw new AdminUserError('--username is required');
    return values.username;
  };
  if (!['create-user', 'set-password', 'disable-user', 'list-users', 'create-token', 'revoke-token', 'issue-merchant-key'].includes(command ?? '')) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const config = loadConfigOrExit();
  const ds = await createDataSource({ databaseUrl: config.databaseUrl, poolSize: 2, applicationName: 'tollgate-admin-cli' }).initialize();
  const auth = new AdminAuthService(new AdminUsersRepository(ds), config);
  const audit = new AdminAuditService(new AdminAuditRepository(ds));
  const actor = { actor: `cli:${userInfo().username}` };
  try {
    switch (command) {
      case 'create-user': {
        const username = needUser();
        const r = needRole();
        const user = await auth.createUser(username, await askNewPassword(), r);
        await audit.record(actor, { action: 'admin_user.create', targetType: 'admin_user', targetId: user.username, before: null, after: { username: user.username, role: user.role } });
        process.stdout.write(`admin user ${user.username} (${user.role}) created; sign in at /admin/login\n`);
        return 0;
      }
      case 'set-password': {
        const username = needUser();
        if (!(await auth.setPassword(username, await askNewPassword()))) throw new AdminUserError(`no admin user ${username}`);
        await audit.record(actor, { action: 'admin_user.set_password', targetType: 'admin_user', targetId: username });
        process.stdout.write(`password of ${username} changed; their sessions ended\n`);
        return 0;
      }
      case 'disable-user': {
        const username = needUser();
        if (!(await auth.disableUser(username))) throw new AdminUserError(`no admin user ${username}`);
        await audit.record(actor, { action: 'admin_user.disable', targetType: 'admin_user', targetId: username, after: { disabled: true } });
        process.stdout.write(`admin user ${username} disabled\n`);
        return 0;
      }
      case 'list-users': {
        for (const u of await auth.listUsers()) {
          process.stdout.write(`${u.username}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\tlast login ${u.last_login_at?.toISOString() ?? 'never'}\n`);
        }
        return 0;
      }
      case 'create-token': {
        if (!values.name) throw new AdminUserError('--name is required');
        const t = await auth.createToken(values.name, needRole());
        await audit.record(actor, { action: 'admin_token.create', targetType: 'admin_token', targetId: t.prefix, before: null, after: { name: values.name, role, prefix: t.prefix } });
        process.stdout.write(`admin API token "${values.name}" (${role}); shown once, store it now:\n${t.token}\n`);
        return 0;
      }
      case 'revoke-token': {
        if (!values.token) throw new AdminUserError('--token <prefix or id> is required');
        if (!(await auth.revokeToken(values.token))) throw new AdminUserError(`no live admin token ${values.token}`);
        await audit.record(actor, { action: 'admin_token.revoke', targetType: 'admin_token', targetId: values.token });
        process.stdout.write(`admin token ${values.token} revoked\n`);
        return 0;
      }
      case 'issue-merchant-key': {
        const merchant = parseInput(idParam, values.merchant ?? '', 'merchant');
        const input = parseInput(issueMerchantKeyBody, { name: values.name, revokeExisting: values['revoke-existing'] });
        const issued = await new MerchantKeyIssuer(ds, new AdminActionsRepository(ds), new ApiKeyRepository(ds), audit).issue(actor, merchant, input);
        process.stderr.write(`${issued.message}\n`);
        if (issued.after.revoked.length) process.stderr.write('running API processes refuse the revoked keys within their 5 s authentication cache\n');
        process.stdout.write(`${issued.apiKey}\n`);
        return 0;
      }
    }
    return 64;
  } finally {
    await ds.destroy();
  }
}

// An HttpException is a refusal of the shared action code (bad id, unknown merchant, key limit): print its sentence.
runCli('admin', () => main(process.argv.slice(2)), [AdminUserError, HttpException]);
