import { AdminViews, viewHelpers } from './admin-views';
import { TEMPLATES } from './templates';

describe('console views', () => {
  const views = new AdminViews();
  const ctx = { title: 't', section: '', csrf: 'tok', admin: { kind: 'session', actor: 'user:o', username: 'o', role: 'operator' } as never };

  it('holds no script: no <script> element and no inline event handler in any template (CSP: script-src self, no inline)', () => {
    for (const [name, tpl] of Object.entries(TEMPLATES)) {
      expect({ name, script: /<script\b/i.test(tpl) }).toEqual({ name, script: false });
      expect({ name, handler: tpl.match(/\son[a-z]+\s*=/i)?.[0] }).toEqual({ name, handler: undefined });
    }
  });

  it('shows amounts in the token with its symbol, atomic units only for an unknown asset', () => {
    expect(viewHelpers.money('1250000', { symbol: 'USDC', decimals: 6 })).toBe('1.25 USDC');
    expect(viewHelpers.money(12_345_000_000n, { symbol: 'USDC', decimals: 6 })).toBe('12,345 USDC');
    expect(viewHelpers.money('42', null)).toBe('42 atomic units');
  });

  it('puts every table in its own sideways-scrolling box', () => {
    const html = views.render('audit', ctx, { rows: [], offset: 0 });
    expect(html).toContain('<div class="table-scroll"><table>');
    expect(html.match(/<table/g)?.length).toBe(html.match(/<div class="table-scroll">/g)?.length);
  });

  it('a batch row dropped before submission reads "left → failed", and the header counts match the rows', () => {
    const b = { id: '3f1e0000-0000-4000-8000-000000000001', status: 'submitted', network: 'eip155:31337', asset: '0xabc', payment_count: 1, replacements: 0 };
    const rows = [
      { reference: 'pay_a', payer: '0x1111111111111111111111111111111111111111', amount: '1250000', status: 'submitted', still_in_batch: true, left_with: null, log_index: null, outcome: 'pending' },
      {
        reference: 'pay_b',
        payer: '0x2222222222222222222222222222222222222222',
        amount: '7',
        status: 'failed',
        failure_reason: 'invalid_exact_evm_insufficient_balance',
        still_in_batch: true,
        left_with: { to_status: 'failed', reason: 'invalid_exact_evm_insufficient_balance' },
        log_index: null,
        outcome: 'left',
      },
    ];
    const html = views.render('batch', ctx, {
      d: { batch: b, rows, transactions: [], landed: 0, counts: { claimed: 2, landed: 0, pending: 1, left: 1 } },
      audit: [],
      canAct: false,
      token: () => ({ symbol: 'USDC', decimals: 6 }),
    });
    expect(html).toMatch(/id="batch-counts">2 claimed: 0 landed · 1 pending · 1 left the batch/);
    expect(html).toMatch(/data-outcome="left">left → failed/);
    expect(html).toContain('title="1250000 atomic units">1.25 USDC<');
  });
});
