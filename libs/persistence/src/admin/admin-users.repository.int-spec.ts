import { DataSource } from 'typeorm';
import { createTestDatabase } from '@tollgate/testing';
import { createDataSource } from '../data-source';
import { AdminUsersRepository } from './admin-users.repository';

/**
 * The admin identity statements the HTTP tests do not reach (the admin CLI's password, disable, list and
 * revoke), with the session and token reads they affect.
 */
describe('AdminUsersRepository', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let users: AdminUsersRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await createDataSource({ databaseUrl: db.url, poolSize: 2 }).initialize();
    users = new AdminUsersRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('inserts a user once, opens a session, and a new password revokes every session', async () => {
    const id = await users.insertUser('olivia', 'hash-1', 'operator');
    expect(id).toEqual(expect.any(String));
    expect(await users.insertUser('olivia', 'hash-2', 'viewer')).toBeNull();
    expect(await users.enabledUser('olivia')).toMatchObject({ id, username: 'olivia', password_hash: 'hash-1', role: 'operator' });

    const sessionId = await users.openSession(id!, 'cookie-hash', 'csrf', 60);
    expect(await users.liveSession('cookie-hash', 30)).toMatchObject({ id: sessionId, csrf_secret: 'csrf', stale: false, user_id: id, username: 'olivia', role: 'operator' });
    await users.touchSession(sessionId);
    const [{ last_login_at }] = await ds.query(`SELECT last_login_at FROM admin_users WHERE id = $1`, [id]);
    expect(last_login_at).not.toBeNull();

    expect(await users.setPasswordHash('olivia', 'hash-3')).toBe(true);
    expect(await users.setPasswordHash('nobody', 'hash-3')).toBe(false);
    expect((await users.enabledUser('olivia'))?.password_hash).toBe('hash-3');
    expect(await users.liveSession('cookie-hash', 30)).toBeUndefined();
  });

  it('a disabled user neither signs in nor keeps a session, and is listed as disabled', async () => {
    const id = await users.insertUser('victor', 'hash', 'viewer');
    await users.openSession(id!, 'victor-cookie', 'csrf', 60);
    expect(await users.disableUser('victor')).toBe(true);
    expect(await users.disableUser('nobody')).toBe(false);
    expect(await users.enabledUser('victor')).toBeUndefined();
    expect(await users.liveSession('victor-cookie', 30)).toBeUndefined();
    expect(await users.listUsers()).toEqual(
      expect.arrayContaining([expect.objectContaining({ username: 'victor', role: 'viewer', disabled: true, last_login_at: expect.any(Date) })]),
    );
    const sessionId = await users.openSession(id!, 'other-cookie', 'csrf', 60);
    await users.revokeSession(sessionId);
    expect(await users.liveSession('other-cookie', 30)).toBeUndefined();
  });

  it('resolves a token until it is revoked by prefix or by id', async () => {
    const a = await users.insertToken('ci-bot', 'tga_aaaaaaaa', 'token-hash-a', 'viewer', null);
    const creator = await users.insertUser('tokenmaker', 'hash', 'operator');
    const b = await users.insertToken('deployer', 'tga_bbbbbbbb', 'token-hash-b', 'operator', creator);
    expect(await users.liveToken('token-hash-a')).toMatchObject({ id: a, name: 'ci-bot', role: 'viewer', stale: true });
    await users.touchToken(a);
    expect((await users.liveToken('token-hash-a'))?.stale).toBe(false);

    expect(await users.revokeToken('tga_aaaaaaaa')).toBe(true);
    expect(await users.revokeToken('tga_aaaaaaaa')).toBe(false);
    expect(await users.liveToken('token-hash-a')).toBeUndefined();
    expect(await users.revokeToken(b)).toBe(true);
    expect(await users.liveToken('token-hash-b')).toBeUndefined();
  });
});
