import { randomBytes } from 'node:crypto';
import { PaymentLedger } from '@tollgate/persistence';
import { testApps } from '../apps';
import { FacilitatorFixture } from './facilitator';
import { SettlementFixture } from './settlement';

/** An admin role as the API names it (`viewer`, `operator`); the API refuses any other. */
export type TestAdminRole = 'viewer' | 'operator';

/** A signed-in browser session: the cookie header to send and the CSRF token for unsafe requests. */
export interface AdminSession {
  cookie: string;
  csrf: string;
}

/** Creates an admin user directly through the service (what `npm run admin -- create-user` does). */
export async function createAdminUser(f: FacilitatorFixture, role: TestAdminRole, username = `${role}-${randomBytes(3).toString('hex')}`): Promise<{ username: string; password: string }> {
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  await testApps().createAdminUser(f.api.app, username, password, role);
  return { username, password };
}

/** Creates an admin API token (`tga_…`). */
export async function createAdminToken(f: FacilitatorFixture, role: TestAdminRole, name = `${role}-bot`): Promise<string> {
  return testApps().createAdminToken(f.api.app, name, role);
}

function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair.indexOf('=');
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** Signs in through the login form and fetches a CSRF token, as a browser would. */
export async function login(baseUrl: string, username: string, password: string): Promise<AdminSession> {
  const res = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: baseUrl },
    body: new URLSearchParams({ username, password }).toString(),
  });
  if (res.status !== 303) throw new Error(`login failed: HTTP ${res.status}`);
  const session = cookiesOf(res).tg_admin_session;
  if (!session) throw new Error('login set no session cookie');
  const csrfRes = await fetch(`${baseUrl}/admin/api/csrf`, { headers: { cookie: `tg_admin_session=${session}` } });
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = cookiesOf(csrfRes).tg_admin_csrf;
  return { cookie: `tg_admin_session=${session}; tg_admin_csrf=${csrfCookie}`, csrf: csrfToken };
}

/** A request to an admin route with a session (with or without its CSRF token) or a bearer token. */
export async function adminCall(
  baseUrl: string,
  path: string,
  opts: { method?: string; session?: AdminSession; withCsrf?: boolean; bearer?: string; body?: unknown } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (opts.session) {
    headers.cookie = opts.session.cookie;
    if (opts.withCsrf !== false) headers['x-csrf-token'] = opts.session.csrf;
  }
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method: opts.method ?? 'GET', headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), redirect: 'manual' });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body };
}

/**
 * A payment that failed but can still succeed: settled (queued) while no worker runs, then failed through
 * the ledger with a retriable reason, as the classifier does when a payer's balance is briefly short.
 */
export async function failedButRecoverablePayment(f: SettlementFixture, opts: { amount?: bigint; payerIndex?: number } = {}): Promise<{ ref: string; id: string }> {
  const { body } = await f.sign({ amount: opts.amount ?? 21_000n, payerIndex: opts.payerIndex ?? 1 });
  const res = await f.settle(body);
  if (!res.body.success) throw new Error(`settle failed: ${JSON.stringify(res.body)}`);
  const ref: string = res.body.extensions.tollgate.reference;
  const [{ id }] = await f.api.db.query(`SELECT id FROM payments WHERE reference = $1`, [ref]);
  const moved = await new PaymentLedger(f.api.db).transition([id], 'queued', 'failed', {
    reason: 'invalid_exact_evm_insufficient_balance',
    patch: { failure_reason: 'invalid_exact_evm_insufficient_balance', failure_message: 'payer balance was below the amount (test)' },
  });
  if (moved.length !== 1) throw new Error(`payment ${ref} was not queued`);
  return { ref, id };
}
