/**
 * Console templates of the settlement pipeline: payments, batches and failures.
 * (`<%= %>` escapes HTML; `<%~ %>` only for the layout body, the CSRF field and helper output built
 * from numbers.)
 */

export const payments = `<% layout('@layout') %>
<h1>Payments <small class="muted"><%= it.totalIsEstimate ? 'about ' : '' %><%= it.h.num(it.total) %> match</small></h1>
<form method="get" action="/admin/payments" class="filters">
  <div class="grid-filters">
    <label>Status<select name="status"><option value="">any</option><% for (const s of it.statuses) { %><option<%= it.f.status === s ? ' selected' : '' %>><%= s %></option><% } %></select></label>
    <label>Reason<select name="reason"><option value="">any</option><% for (const r of it.reasons) { %><option<%= it.f.reason === r ? ' selected' : '' %>><%= r %></option><% } %></select></label>
    <label>Merchant<input name="merchant" value="<%= it.f.merchant || '' %>" placeholder="name or id"></label>
    <label>Payer<input name="payer" value="<%= it.f.payer || '' %>" placeholder="0x…"></label>
    <label>payTo<input name="payTo" value="<%= it.f.payTo || '' %>" placeholder="0x…"></label>
    <label>Network<select name="network"><option value="">any</option><% for (const n of it.networks) { %><option<%= it.f.network === n ? ' selected' : '' %>><%= n %></option><% } %></select></label>
    <label>From<input type="datetime-local" name="from" value="<%= it.f.fromInput || '' %>"></label>
    <label>To<input type="datetime-local" name="to" value="<%= it.f.toInput || '' %>"></label>
    <label>Search<input name="q" value="<%= it.f.q || '' %>" placeholder="pay_…, id, nonce, tx hash"></label>
  </div>
  <button type="submit" class="small">Filter</button> <a href="/admin/payments">Clear</a>
</form>
<table>
<thead><tr><th>Reference</th><th>Status</th><th>Reason</th><th>Merchant</th><th>Payer</th><th class="num">Amount</th><th class="num">Tries</th><th>Network</th><th>Created</th></tr></thead>
<tbody>
<% for (const p of it.rows) { %>
<tr>
  <td><a href="/admin/payments/<%= p.reference %>"><code><%= p.reference %></code></a></td>
  <td><%~ include('@status', { s: p.status }) %></td>
  <td><% if (p.failure_reason) { %><code title="<%= it.h.reason(p.failure_reason) %>"><%= p.failure_reason %></code><% } %></td>
  <td><%= p.merchant_name %></td>
  <td><code title="<%= p.payer %>"><%= it.h.short(p.payer, 4) %></code></td>
  <td class="num" title="<%= p.amount %> atomic units"><%= it.h.money(p.amount, it.token(p.network, p.asset)) %></td>
  <td class="num"><%= p.attempts %></td>
  <td><%= p.network %></td>
  <td title="<%= it.h.time(p.created_at) %>"><%= it.h.ago(p.created_at) %></td>
</tr>
<% } %>
<% if (!it.rows.length) { %><tr><td colspan="9" class="muted">No payment matches these filters.</td></tr><% } %>
</tbody>
</table>
<nav class="pager">
<% if (it.offset > 0) { %><a href="/admin/payments<%= it.h.qs({ ...it.f.raw, offset: Math.max(0, it.offset - it.limit) }) %>">← newer</a><% } %>
<% if (it.offset + it.limit < it.total) { %><a href="/admin/payments<%= it.h.qs({ ...it.f.raw, offset: it.offset + it.limit }) %>">older →</a><% } %>
</nav>`;

export const payment = `<% layout('@layout') %>
<% const p = it.d.payment; %>
<h1>Payment <code><%= p.reference %></code> <%~ include('@status', { s: p.status }) %></h1>
<% if (p.failure_reason) { %>
<p class="reason"><strong><code><%= p.failure_reason %></code></strong> — <%= it.h.reason(p.failure_reason) %><% if (p.failure_message) { %><br><small><%= p.failure_message %></small><% } %></p>
<% } %>
<% if (it.canAct) { %>
<section class="actions-panel" aria-label="Actions">
  <% if (it.offered.retry) { %>
  <form method="post" action="/admin/payments/<%= p.reference %>/retry" class="inline"><%~ it.csrfField %>
    <button type="submit" id="retry">Retry settlement</button>
    <small class="muted">Queues it again if the authorization can still succeed (not expired, nonce unused, balance sufficient).</small>
  </form>
  <% } %>
  <% if (it.offered.void) { %>
  <form method="post" action="/admin/payments/<%= p.reference %>/void" class="inline void-form"><%~ it.csrfField %>
    <label for="void-reason" class="visually-hidden">Reason for voiding</label>
    <input id="void-reason" name="reason" placeholder="why void it? (required)" required minlength="3" maxlength="500">
    <button type="submit" class="secondary">Void payment</button>
  </form>
  <% } %>
  <% if (it.offered.none) { %><p class="muted" id="no-actions">No actions. <%= it.offered.none %></p><% } %>
</section>
<% } %>
<div class="cols">
<section>
<h2>Authorization</h2>
<table class="kv">
<tr><th>Merchant</th><td><a href="/admin/merchants/<%= p.merchant_id %>"><%= p.merchant_name %></a></td></tr>
<tr><th>Amount</th><td><%= it.h.money(p.amount, it.token(p.network, p.asset)) %> <small class="muted">(<%= p.amount %> atomic units)</small></td></tr>
<tr><th>Network / asset</th><td><%= p.network %> · <code><%= p.asset %></code></td></tr>
<tr><th>Payer</th><td><a href="/admin/payments?payer=<%= p.payer %>"><code><%= p.payer %></code></a></td></tr>
<tr><th>payTo</th><td><code><%= p.pay_to %></code></td></tr>
<tr><th>Nonce</th><td><code><%= p.nonce %></code></td></tr>
<tr><th>Valid before</th><td><%= it.h.time(p.expires_at) %> (<%= it.h.ago(p.expires_at) %>)</td></tr>
<tr><th>Mode</th><td><%= p.settlement_mode || '—' %></td></tr>
<tr><th>Attempts</th><td><%= p.attempts %></td></tr>
<tr><th>Resource</th><td class="wrap"><% if (p.resource) { %><code><%= p.resource %></code><% } else { %>—<% } %></td></tr>
<% if (p.payment_identifier) { %><tr><th>payment-identifier</th><td><code><%= p.payment_identifier %></code></td></tr><% } %>
</table>
</section>
<section>
<h2>Settlement</h2>
<table class="kv">
<tr><th>Batch</th><td><% if (p.batch_id) { %><a href="/admin/batches/<%= p.batch_id %>"><code><%= it.h.short(p.batch_id, 8) %></code></a><% } else { %>—<% } %></td></tr>
<tr><th>Transaction</th><td><% if (p.tx_hash) { %><code><%= p.tx_hash %></code><% } else { %>—<% } %><% if (p.log_index !== null && p.log_index !== undefined) { %> log #<%= p.log_index %><% } %></td></tr>
<%~ include('@paymentChain', it) %>
<tr><th>Block</th><td><%= p.block_number || '—' %><% if (p.block_hash) { %> <code title="<%= p.block_hash %>"><%= it.h.short(p.block_hash) %></code><% } %></td></tr>
<tr><th>Confirmations</th><td><%= it.d.confirmations ?? (it.d.headError ? 'unavailable' : '—') %></td></tr>
<tr><th>Queued</th><td><%= it.h.time(p.queued_at) %></td></tr>
<tr><th>Included</th><td><%= it.h.time(p.included_at) %></td></tr>
<tr><th>Confirmed</th><td><%= it.h.time(p.confirmed_at) %></td></tr>
</table>
</section>
</div>
<section>
<h2>History</h2>
<table>
<thead><tr><th>#</th><th>At</th><th>From</th><th>To</th><th>Reason</th><th>Detail</th></tr></thead>
<tbody>
<% for (const e of it.d.events) { %>
<tr><td><%= Number(e.id) <= 0 ? '—' : e.id %></td><td><%= it.h.time(e.created_at) %></td><td><%= e.from_status || '—' %></td><td><%~ include('@status', { s: e.to_status }) %></td><td><% if (e.reason) { %><code title="<%= it.h.reason(e.reason) %>"><%= e.reason %></code><% } %></td><td class="detail"><% if (e.detail) { %><pre class="json"><%= it.h.json(e.detail) %></pre><% } %></td></tr>
<% } %>
</tbody>
</table>
</section>
<section>
<h2>Transactions (every attempt)</h2>
<table>
<thead><tr><th>Batch</th><th>Hash</th><th>Nonce</th><th>Purpose</th><th>Status</th><th>Max fee</th><th>Signed</th><th>Broadcast</th></tr></thead>
<tbody>
<% for (const t of it.d.transactions) { %>
<tr><td><a href="/admin/batches/<%= t.batch_id %>"><code><%= it.h.short(t.batch_id, 4) %></code></a></td><td><code><%= t.tx_hash %></code></td><td><%= t.nonce %></td><td><%= t.purpose %></td><td><%~ include('@status', { s: t.status }) %></td><td><%= it.h.gwei(t.max_fee_per_gas) %></td><td><%= it.h.time(t.created_at) %></td><td><%= it.h.time(t.broadcast_at) %></td></tr>
<% } %>
<% if (!it.d.transactions.length) { %><tr><td colspan="8" class="muted"><%= it.d.solana ? 'One Solana transaction: see Settlement above.' : 'Not broadcast yet.' %></td></tr><% } %>
</tbody>
</table>
</section>
<% if (it.d.deliveries.length) { %>
<section>
<h2>Webhook deliveries</h2>
<table><thead><tr><th>Event</th><th>Endpoint</th><th>Status</th><th class="num">Attempts</th><th>Last HTTP</th><th>Created</th></tr></thead><tbody>
<% for (const w of it.d.deliveries) { %><tr><td><%= w.event_type %></td><td><%= w.url %></td><td><%~ include('@status', { s: w.status }) %></td><td class="num"><%= w.attempt_count %></td><td><%= w.last_status_code ?? '—' %></td><td><%= it.h.time(w.created_at) %></td></tr><% } %>
</tbody></table>
</section>
<% } %>
<% if (it.audit.length) { %>
<section>
<h2>Operator actions</h2>
<%~ include('@auditTable', { rows: it.audit, h: it.h }) %>
</section>
<% } %>`;

export const batches = `<% layout('@layout') %>
<h1>Batches</h1>
<form method="get" action="/admin/batches" class="filters inline-filters">
  <label>Status <select name="status"><option value="">any</option><% for (const s of ['building','submitted','included','confirmed','failed','cancelled']) { %><option<%= it.status === s ? ' selected' : '' %>><%= s %></option><% } %></select></label>
  <button type="submit" class="small">Filter</button>
</form>
<table>
<thead><tr><th>Batch</th><th>Status</th><th>Kind</th><th class="num">Rows</th><th class="num">Landed</th><th class="num">Gas used</th><th class="num">Gas / payment</th><th class="num">Fee paid</th><th class="num">Replacements</th><th>Relayer</th><th>Created</th></tr></thead>
<tbody>
<% for (const b of it.rows) { %>
<tr>
  <td><a href="/admin/batches/<%= b.id %>"><code><%= it.h.short(b.id, 8) %></code></a></td>
  <td><%~ include('@status', { s: b.status }) %><% if (b.replace_requested_at) { %> <span class="badge s-queued">replace requested</span><% } %></td>
  <td><%= b.kind || '—' %></td>
  <td class="num"><%= b.payment_count %></td>
  <td class="num"><%= b.landed %></td>
  <td class="num"><%= it.h.num(b.gas_used) %></td>
  <td class="num"><%= b.gas_used && b.landed ? it.h.num(Math.round(Number(b.gas_used) / b.landed)) : '—' %></td>
  <td class="num"><%= it.h.eth(b.fee_paid) %></td>
  <td class="num"><%= b.replacements %></td>
  <td><code title="<%= b.relayer %>"><%= it.h.short(b.relayer, 4) %></code></td>
  <td title="<%= it.h.time(b.created_at) %>"><%= it.h.ago(b.created_at) %></td>
</tr>
<% } %>
<% if (!it.rows.length) { %><tr><td colspan="11" class="muted">No batches.</td></tr><% } %>
</tbody>
</table>
<nav class="pager">
<% if (it.offset > 0) { %><a href="/admin/batches<%= it.h.qs({ status: it.status, offset: Math.max(0, it.offset - 50) }) %>">← newer</a><% } %>
<% if (it.rows.length === 50) { %><a href="/admin/batches<%= it.h.qs({ status: it.status, offset: it.offset + 50 }) %>">older →</a><% } %>
</nav>`;

export const batch = `<% layout('@layout') %>
<% const b = it.d.batch; %>
<h1>Batch <code><%= it.h.short(b.id, 8) %></code> <%~ include('@status', { s: b.status }) %></h1>
<% if (it.canAct && b.status === 'submitted') { %>
<section class="actions-panel">
  <form method="post" action="/admin/batches/<%= b.id %>/replace" class="inline"><%~ it.csrfField %>
    <button type="submit">Replace transaction now</button>
    <small class="muted">Re-sends with the same nonce and fees +20 % on the tracker's next pass<% if (b.replace_requested_at) { %> (already requested <%= it.h.ago(b.replace_requested_at) %>)<% } %>.</small>
  </form>
</section>
<% } %>
<table class="kv">
<tr><th>Network / asset</th><td><%= b.network %> · <code><%= b.asset %></code></td></tr>
<tr><th>Relayer / nonce</th><td><code><%= b.relayer %></code> · <%= b.nonce ?? '—' %></td></tr>
<tr><th>Kind</th><td><%= b.kind || '—' %></td></tr>
<tr><th>Transaction</th><td><code><%= b.tx_hash || '—' %></code></td></tr>
<tr><th>Block</th><td><%= b.block_number || '—' %></td></tr>
<tr><th>Rows</th><td id="batch-counts"><%= it.d.counts.claimed %> claimed: <%= it.d.counts.landed %> landed · <%= it.d.counts.pending %> pending · <%= it.d.counts.left %> left the batch <small class="muted">(<%= b.payment_count %> in its transaction)</small></td></tr>
<tr><th>Gas limit / used</th><td><%= it.h.num(b.gas_limit) %> / <%= it.h.num(b.gas_used) %><% if (it.d.gasPerPayment) { %> · <strong><%= it.h.num(it.d.gasPerPayment) %></strong> gas per payment<% } %></td></tr>
<tr><th>Fee paid</th><td><%= it.h.eth(b.fee_paid) %> at <%= it.h.gwei(b.effective_gas_price) %></td></tr>
<tr><th>Replacements</th><td><%= b.replacements %></td></tr>
<% if (b.failure_reason) { %><tr><th>Failure</th><td><code><%= b.failure_reason %></code></td></tr><% } %>
<tr><th>Created / submitted / included / confirmed</th><td><%= it.h.time(b.created_at) %> · <%= it.h.time(b.submitted_at) %> · <%= it.h.time(b.included_at) %> · <%= it.h.time(b.confirmed_at) %></td></tr>
</table>
<h2>Rows</h2>
<table>
<thead><tr><th>Payment</th><th>Payer</th><th class="num">Amount</th><th>Outcome in this batch</th><th>Now</th><th>Log</th></tr></thead>
<tbody>
<% for (const r of it.d.rows) { %>
<tr>
  <td><a href="/admin/payments/<%= r.reference %>"><code><%= r.reference %></code></a></td>
  <td><code><%= it.h.short(r.payer, 4) %></code></td>
  <td class="num" title="<%= r.amount %> atomic units"><%= it.h.money(r.amount, it.token(b.network, b.asset)) %></td>
  <td data-outcome="<%= r.outcome %>"><% if (r.outcome !== 'left') { %><%= r.outcome %><% } else if (r.left_with) { %>left → <%= r.left_with.to_status %> <code title="<%= it.h.reason(r.left_with.reason) %>"><%= r.left_with.reason || '' %></code><% } else { %>left → <%= r.status %><% } %></td>
  <td><%~ include('@status', { s: r.status }) %><% if (r.failure_reason) { %> <code><%= r.failure_reason %></code><% } %></td>
  <td><%= r.still_in_batch && r.log_index !== null ? '#' + r.log_index : '' %></td>
</tr>
<% } %>
</tbody>
</table>
<h2>Transactions (every attempt)</h2>
<table>
<thead><tr><th>Hash</th><th>Nonce</th><th>Purpose</th><th>Status</th><th>Gas limit</th><th>Max fee</th><th>Tip</th><th>Signed</th><th>Broadcast</th></tr></thead>
<tbody>
<% for (const t of it.d.transactions) { %>
<tr><td><code><%= t.tx_hash %></code></td><td><%= t.nonce %></td><td><%= t.purpose %></td><td><%~ include('@status', { s: t.status }) %></td><td><%= it.h.num(t.gas_limit) %></td><td><%= it.h.gwei(t.max_fee_per_gas) %></td><td><%= it.h.gwei(t.max_priority_fee_per_gas) %></td><td><%= it.h.time(t.created_at) %></td><td><%= it.h.time(t.broadcast_at) %></td></tr>
<% } %>
</tbody>
</table>
<% if (it.audit.length) { %><h2>Operator actions</h2><%~ include('@auditTable', { rows: it.audit, h: it.h }) %><% } %>`;

export const failures = `<% layout('@layout') %>
<h1>Failures by reason</h1>
<p class="muted">Transitions to <code>failed</code> or <code>lapsed</code>, counted when they happened. “Failed now” counts payments still failed (operator retries lower it). Chart: last <%= it.hours %> hours, one bar per hour.</p>
<table>
<thead><tr><th>Reason</th><th>Meaning</th><th class="num">Last hour</th><th class="num">Last day</th><th class="num">Last 7 days</th><th class="num">Failed now</th><th>Hourly</th></tr></thead>
<tbody>
<% for (const g of it.reasons) { %>
<tr>
  <td><a href="/admin/payments?<%= g.status === 'lapsed' ? 'status=lapsed' : 'status=failed&reason=' + encodeURIComponent(g.reason) %>"><code><%= g.reason %></code></a></td>
  <td class="wrap"><small><%= it.h.reason(g.reason) %></small></td>
  <td class="num"><%= g.lastHour %></td><td class="num"><%= g.lastDay %></td><td class="num"><%= g.lastWeek %></td><td class="num"><%= g.currentlyFailed ?? 0 %></td>
  <td><%~ it.h.spark(g.series) %></td>
</tr>
<% } %>
<% if (!it.reasons.length) { %><tr><td colspan="7" class="muted">No failures in the last 7 days.</td></tr><% } %>
</tbody>
</table>`;
