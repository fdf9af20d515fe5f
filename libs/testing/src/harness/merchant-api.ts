/** Settings every webhook test runs with: a compressed schedule and a loopback receiver allowed explicitly. */
export const WEBHOOK_TEST_ENV = {
  WEBHOOK_RETRY_SCHEDULE_MS: '0,200,400,800,1000',
  WEBHOOK_DISABLE_AFTER_MS: '2000',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_SWEEP_INTERVAL_MS: '100',
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
  WEBHOOK_HTTP_ALLOWLIST: '127.0.0.1',
};

export interface ApiAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** Merchant API calls authenticated with `apiKey` (override per call with `key`; `null` sends none). */
export function merchantClient(baseUrl: string, apiKey: string) {
  const call = async (method: string, path: string, body?: unknown, key: string | null = apiKey): Promise<ApiAnswer> => {
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    get: (path: string, key?: string | null) => call('GET', path, undefined, key),
    post: (path: string, body?: unknown, key?: string | null) => call('POST', path, body, key),
    patch: (path: string, body?: unknown, key?: string | null) => call('PATCH', path, body, key),
    del: (path: string, key?: string | null) => call('DELETE', path, undefined, key),
  };
}

export type MerchantClient = ReturnType<typeof merchantClient>;
