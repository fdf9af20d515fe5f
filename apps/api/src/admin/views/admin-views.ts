import { Injectable } from '@nestjs/common';
import { Eta } from 'eta';
import { REASON_CODES, isReasonCode } from '@tollgate/protocol';
import type { AdminIdentity } from '../auth/admin-auth.service';
import type { WorkerSignal } from '../../health/settlement-signals';
import { TEMPLATES } from './templates';

/** Data every page gets besides its own. */
export interface PageContext {
  title: string;
  /** Nav key of the current section. */
  section: string;
  admin?: AdminIdentity;
  csrf: string;
  notice?: string;
  error?: string;
  /** Reload the page every this many seconds (a meta refresh: no script); absent: never. */
  refreshSeconds?: number;
  /** Worker heartbeats, for the "no worker seen" banner (absent: not read for this page). */
  workers?: WorkerSignal;
}

/** What the console knows of a configured asset, for amounts: its symbol and decimals. */
export interface TokenInfo {
  symbol: string;
  decimals: number;
}

/** Formatting helpers available to templates as `it.h`. */
export const viewHelpers = {
  /** ISO-like UTC time, seconds precision. */
  time(d: Date | string | null | undefined): string {
    if (!d) return '—';
    const t = new Date(d);
    return Number.isNaN(t.getTime()) ? '—' : t.toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  },
  /** "3 min ago" / "in 40 s". */
  ago(d: Date | string | null | undefined): string {
    if (!d) return '—';
    const s = Math.round((Date.now() - new Date(d).getTime()) / 1000);
    const abs = Math.abs(s);
    const txt = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : abs < 172800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} d`;
    return s >= 0 ? `${txt} ago` : `in ${txt}`;
  },
  seconds(s: number): string {
    if (!s) return '—';
    return s < 90 ? `${s.toFixed(1)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
  },
  /** Atomic units with decimals applied (6 → "1.234567"), trailing zeros kept short. */
  amount(atomic: string | bigint | null | undefined, decimals: number | null = 6): string {
    if (atomic === null || atomic === undefined) return '—';
    const v = BigInt(atomic);
    if (decimals === null || decimals === 0) return v.toString();
    const base = 10n ** BigInt(decimals);
    const frac = (v % base).toString().padStart(decimals, '0').replace(/0+$/, '');
    return `${(v / base).toLocaleString('en-US')}${frac ? `.${frac}` : ''}`;
  },
  /**
   * An amount in the asset's own unit with its symbol ("1.25 USDC"), from atomic units and the configured
   * token; an asset this deployment does not serve shows its atomic units, named as such.
   */
  money(atomic: string | bigint | null | undefined, token: TokenInfo | null | undefined): string {
    if (atomic === null || atomic === undefined) return '—';
    if (!token) return `${BigInt(atomic).toString()} atomic units`;
    return `${viewHelpers.amount(atomic, token.decimals)} ${token.symbol}`;
  },
  /** Wei → ETH with 6 decimals. */
  eth(wei: string | bigint | null | undefined): string {
    if (wei === null || wei === undefined) return '—';
    const v = BigInt(wei);
    return `${(Number(v / 10n ** 12n) / 1e6).toFixed(6)} ETH`;
  },
  gwei(wei: string | null | undefined): string {
    return wei ? `${(Number(BigInt(wei) / 1_000_000n) / 1000).toFixed(3)} gwei` : '—';
  },
  /** 0x1234…abcd */
  short(hex: string | null | undefined, keep = 6): string {
    if (!hex) return '—';
    return hex.length > keep * 2 + 3 ? `${hex.slice(0, keep + 2)}…${hex.slice(-keep)}` : hex;
  },
  num(n: number | string | null | undefined): string {
    return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
  },
  /** One-line description of a reason code, or ''. */
  reason(code: string | null | undefined): string {
    if (!code) return '';
    if (isReasonCode(code)) return REASON_CODES[code].description;
    return ({ operator_retry: 'An operator retried the payment.', reorged: 'The inclusion block was reorganised away.' } as Record<string, string>)[code] ?? '';
  },
  json(v: unknown): string {
    return v === null || v === undefined ? '' : JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
  },
  /** Query string from an object, skipping empties. */
  qs(o: Record<string, unknown>): string {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  },
  /** A small inline SVG bar chart of counts (trusted markup: numbers only). */
  spark(series: number[], width = 240, height = 28): string {
    const max = Math.max(1, ...series);
    const w = width / Math.max(series.length, 1);
    const bars = series
      .map((n, i) => {
        const h = n === 0 ? 1 : Math.max(2, Math.round((n / max) * height));
        return `<rect x="${(i * w).toFixed(1)}" y="${height - h}" width="${Math.max(1, w - 1).toFixed(1)}" height="${h}" fill="${n ? '#d93526' : '#ccc'}"><title>${n}</title></rect>`;
      })
      .join('');
    return `<svg role="img" aria-label="hourly counts" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}</svg>`;
  },
};

/**
 * Server-rendered pages of the operator console (Eta templates compiled once from `templates.ts`, HTML
 * escaped by default; Pico CSS served locally). No client-side framework: every action is a plain form
 * POST carrying the CSRF token, so the console works without JavaScript.
 */
@Injectable()
export class AdminViews {
  private readonly eta = new Eta({ autoEscape: true, autoTrim: [false, 'nl'], cache: true });

  constructor() {
    for (const [name, tpl] of Object.entries(TEMPLATES)) this.eta.loadTemplate(`@${name}`, tpl);
  }

  /** Renders page `name` inside the layout. */
  render(name: keyof typeof TEMPLATES, ctx: PageContext, data: Record<string, unknown> = {}): string {
    const csrfField = ctx.csrf ? `<input type="hidden" name="_csrf" value="${escapeHtml(ctx.csrf)}">` : '';
    return wrapTables(this.eta.render(`@${name}`, { ...data, ...ctx, csrfField, h: viewHelpers }));
  }
}

/**
 * Puts every table in a box that scrolls sideways on its own, so a wide table never makes the whole page
 * scroll at 1024 px. Done on the rendered page so each template (and new ones) need not remember it;
 * escaped data cannot contain `<table`, so only the templates' own tables match.
 */
function wrapTables(html: string): string {
  return html.replace(/<table\b/g, '<div class="table-scroll"><table').replace(/<\/table>/g, '</table></div>');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
