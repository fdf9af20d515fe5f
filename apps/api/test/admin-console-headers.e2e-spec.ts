import { createAdminUser, FacilitatorFixture, startFacilitator } from '@tollgate/testing';
import { ConsoleBrowser, openConsoleBrowser, screenshot, signIn } from './console-browser';

/** The directives of a Content-Security-Policy header, by name. */
function csp(header: string | null): Record<string, string> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0], d.slice(d.indexOf(' ') + 1)]),
  );
}

/**
 * Security headers (helmet): the console runs no inline script and cannot be framed; the JSON API gets
 * helmet's defaults; Bull Board keeps rendering under its own policy, in UTC, with a link back to the console.
 */
describe('console and API security headers (helmet)', () => {
  let f: FacilitatorFixture;
  let b: ConsoleBrowser;
  const violations: string[] = [];

  beforeAll(async () => {
    f = await startFacilitator();
    b = await openConsoleBrowser(1280);
    b.page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await signIn(b.page, f.api.baseUrl, await createAdminUser(f, 'viewer', 'hana'));
  });
  afterAll(async () => {
    await b?.close();
    await f?.stop();
  });

  it('console pages: CSP without inline script, frame-ancestors none, nosniff, no framing', async () => {
    for (const path of ['/admin/login', '/admin/nope', '/admin/assets/console.css']) {
      const res = await fetch(`${f.api.baseUrl}${path}`);
      const d = csp(res.headers.get('content-security-policy'));
      expect({ path, script: d['script-src'], attr: d['script-src-attr'], frames: d['frame-ancestors'], base: d['base-uri'] }).toEqual({
        path,
        script: "'self'",
        attr: "'none'",
        frames: "'none'",
        base: "'none'",
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    // Signed in, every page renders under that policy without a single violation.
    for (const path of ['/admin', '/admin/payments', '/admin/batches', '/admin/webhooks', '/admin/merchants']) {
      await b.page.goto(`${f.api.baseUrl}${path}`);
      await b.page.locator('main h1').first().waitFor();
    }
    expect(violations).toEqual([]);
  });

  it('the JSON API: helmet defaults (nosniff, no framing), and x402 answers are unchanged', async () => {
    const res = await fetch(`${f.api.baseUrl}/supported`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(csp(res.headers.get('content-security-policy'))['frame-ancestors']).toBe("'none'");
    expect(res.headers.get('x-powered-by')).toBeNull();
    // Swagger UI still loads its scripts under the API's policy.
    await b.page.goto(`${f.api.baseUrl}/docs`);
    await b.page.getByText('x402 payment facilitator with queued batch settlement').first().waitFor();
    expect(violations.filter((v) => /script/i.test(v))).toEqual([]);
  });

  it('Bull Board renders under its own policy, shows UTC times and links back to the console', async () => {
    const res = await fetch(`${f.api.baseUrl}/admin/queues`, { redirect: 'manual' });
    expect(csp(res.headers.get('content-security-policy'))['frame-ancestors']).toBe("'none'");
    violations.length = 0;
    await b.page.goto(`${f.api.baseUrl}/admin/queues`);
    await b.page.getByText('settlement', { exact: true }).first().waitFor();
    await screenshot(b.page, 'queues');
    // The board's own configuration: a link back to the console (in its header menu) and dates in UTC.
    const ui = JSON.parse((await b.page.locator('#__UI_CONFIG__').textContent()) ?? '{}');
    expect(ui.miscLinks).toEqual([{ text: 'Operator console', url: '/admin' }]);
    expect(ui.dateFormats.full).toMatchObject({ timeZone: 'UTC', timeZoneName: 'short' });
    expect(violations.filter((v) => /script/i.test(v))).toEqual([]);
  });
});
