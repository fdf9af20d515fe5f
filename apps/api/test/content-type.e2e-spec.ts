import { FacilitatorFixture, startFacilitator } from '@tollgate/testing';

/**
 * A JSON body without `content-type: application/json` (curl's `-d` sends it as a form) is answered with
 * 415 naming the header, not with a misleading "x402Version: missing".
 */
describe('request content-type', () => {
  let f: FacilitatorFixture;
  beforeAll(async () => {
    f = await startFacilitator({}, 29);
  });
  afterAll(() => f.stop());

  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${f.api.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${f.apiKey}`, ...headers }, body });
    return { status: res.status, body: (await res.json()) as any };
  };

  it.each([
    ['/verify', 'application/x-www-form-urlencoded'],
    ['/verify', 'text/plain;charset=UTF-8'],
    ['/settle', 'application/x-www-form-urlencoded'],
  ])('%s with a JSON body sent as %s: 415 saying the content-type must be application/json', async (path, type) => {
    const res = await post(path, JSON.stringify(await f.validBody()), { 'content-type': type });
    expect(res.status).toBe(415);
    const message = path === '/verify' ? res.body.invalidMessage : res.body.errorMessage;
    expect(message).toContain('content-type must be application/json');
    expect(res.body).toMatchObject(path === '/verify' ? { isValid: false, invalidReason: 'invalid_payload', field: 'content-type' } : { success: false, errorReason: 'invalid_payload', field: 'content-type' });
  });

  it('the merchant API names the header too', async () => {
    const res = await post('/v1/merchant/webhook-endpoints', JSON.stringify({ url: 'https://example.com/hook' }), { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ statusCode: 415, field: 'content-type', message: expect.stringContaining('application/json') });
  });

  it('application/json with a charset is accepted', async () => {
    const res = await post('/verify', JSON.stringify(await f.validBody()), { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.body.isValid).toBe(true);
  });
});
