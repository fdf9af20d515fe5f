/**
 * Eta templates of the operator console, kept in TypeScript so `nest build` ships them without an
 * asset-copy step. `<%= %>` escapes HTML; `<%~ %>` is used only for the layout body, the CSRF field and
 * helper output built from numbers.
 */

const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="<%= it.csrf %>">
<title><%= it.title %> · Tollgate operator console</title>
<link rel="stylesheet" href="/admin/assets/pico.min.css">
<link rel="stylesheet" href="/admin/assets/console.css">
</head>
<body>
<header>
<nav>
  <ul><li><a href="/admin" class="brand"><strong>Tollgate</strong> operator console</a></li></ul>
  <% if (it.admin) { %>
  <ul>
    <% const items = [['overview','/admin','Overview'],['payments','/admin/payments','Payments'],['batches','/admin/batches','Batches'],['failures','/admin/failures','Failures'],['webhooks','/admin/webhooks','Webhooks'],['merchants','/admin/merchants','Merchants'],['audit','/admin/audit','Audit log'],['queues','/admin/queues','Queues']]; %>
    <% for (const [key, href, label] of items) { %>
    <li><a href="<%= href %>"<% if (it.section === key) { %> aria-current="page"<% } %>><%= label %></a></li>
    <% } %>
  </ul>
  <ul>
    <li><span class="who" title="signed in as"><%= it.admin.username || it.admin.actor %> · <span class="role role-<%= it.admin.role %>"><%= it.admin.role %></span></span></li>
    <li><form method="post" action="/admin/logout" class="inline"><input type="hidden" name="_csrf" value="<%= it.csrf %>"><button type="submit" class="secondary small">Sign out</button></form></li>
  </ul>
  <% } %>
</nav>
</header>
<main>
<% if (it.notice) { %><p class="flash flash-ok" role="status"><%= it.notice %></p><% } %>
<% if (it.error) { %><p class="flash flash-err" role="alert"><%= it.error %></p><% } %>
<%~ it.body %>
</main>
</body>
</html>`;

const status = `<span class="badge s-<%= it.s %>"><%= it.s %></span>`;

const login = `<% layout('@layout') %>
<article class="login">
  <h1>Sign in</h1>
  <p class="muted">Operator console of this Tollgate deployment. Accounts are created with <code>npm run admin -- create-user</code>.</p>
  <form method="post" action="/admin/login">
    <input type="hidden" name="next" value="<%= it.next %>">
    <label>Username <input name="username" autocomplete="username" required autofocus></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
  </form>
</article>`;

const overview = `<% layout('@layout') %>
<h1>Overview <small class="muted">as of <%= it.h.time(it.generatedAt) %></small></h1>
<section>
<h2>Lanes</h2>
<p class="muted">A lane is one token on one network. Queued payments wait here until the lane flushes (size, age or deadline); relayers below carry its batches.</p>
<table>
<thead><tr><th>Network</th><th>Asset</th><th class="num">Queued</th><th class="num">Batched</th><th class="num">Submitted</th><th>Oldest queued</th><th>Earliest deadline</th><th class="num">Exposure</th><th class="num">Open batches</th><th>State</th><th>Actions</th></tr></thead>
<tbody>
<% for (const l of it.lanes) { %>
<tr data-lane="<%= l.network %>/<%= l.asset %>">
  <td><%= l.network %></td>
  <td title="<%= l.asset %>"><%= l.symbol || it.h.short(l.asset) %></td>
  <td class="num" data-metric="queued"><%= l.queued %></td>
  <td class="num"><%= l.batched %></td>
  <td class="num"><%= l.submitted %></td>
  <td><%= l.queued ? it.h.seconds(l.oldestQueuedAgeSeconds) : '—' %></td>
  <td><%= l.earliestDeadline ? it.h.ago(l.earliestDeadline) : '—' %></td>
  <td class="num" title="unsettled: verified + queued + batched + submitted"><%= it.h.amount(l.exposure, l.decimals) %> <%= l.symbol || '' %></td>
  <td class="num"><%= l.openBatches %></td>
  <td><% if (l.paused) { %><span class="badge s-failed" title="<%= l.pausedReason || '' %>">paused</span><% if (l.pausedReason) { %> <small><%= l.pausedReason %></small><% } %><% } else { %><span class="badge s-confirmed">running</span><% } %><% if (l.flushRequestedAt) { %> <span class="badge s-queued">flush requested</span><% } %></td>
  <td class="actions">
  <% if (it.canAct && l.configured) { %>
    <% const base = '/admin/lanes/' + encodeURIComponent(l.network) + '/' + l.asset; %>
    <% if (l.paused) { %>
      <form method="post" action="<%= base %>/resume" class="inline"><%~ it.csrfField %><button type="submit" class="small">Resume</button></form>
    <% } else { %>
      <form method="post" action="<%= base %>/pause" class="inline"><%~ it.csrfField %><input type="hidden" name="reason" value="paused from the console"><button type="submit" class="small secondary">Pause</button></form>
      <form method="post" action="<%= base %>/flush" class="inline"><%~ it.csrfField %><button type="submit" class="small" <%= l.queued ? '' : 'disabled' %>>Flush now</button></form>
    <% } %>
  <% } %>
  </td>
</tr>
<% } %>
<% if (!it.lanes.length) { %><tr><td colspan="11" class="muted">No lanes configured.</td></tr><% } %>
</tbody>
</table>
</section>
<section>
<h2>Relayers</h2>
<% for (const r of it.relayers.filter((x) => x.wedged)) { %>
<p class="alarm" role="alert"><strong>Wedged relayer.</strong> <%= r.alarm %>. Its payments stay <code>submitted</code> until the gap is filled; check its gas balance and <code>TX_MAX_FEE_GWEI</code> against the base fee.</p>
<% } %>
<table>
<thead><tr><th>Network</th><th>Address</th><th class="num">Balance</th><th class="num">Next nonce (Tollgate)</th><th class="num">Pending nonce (chain)</th><th class="num">Nonce gap</th><th class="num">Open batches</th></tr></thead>
<tbody>
<% for (const r of it.relayers) { %>
<tr class="<%= r.wedged ? 'wedged' : '' %>"><td><%= r.network %></td><td><code><%= r.address %></code></td><td class="num"><%= r.balanceWei === null ? (r.error ? 'unavailable' : '—') : it.h.eth(r.balanceWei) %></td><td class="num"><%= r.nextNonce ?? '—' %></td><td class="num"><%= r.chainNonce ?? '—' %></td><td class="num"><%= r.nonceGap ? (r.wedged ? 'WEDGED: ' : 'filling: ') + r.nonceGap : '0' %></td><td class="num"><%= r.openBatches %></td></tr>
<% } %>
</tbody>
</table>
</section>
<section>
<h2>Activity</h2>
<table class="totals">
<thead><tr><th>Window</th><th class="num">Accepted</th><th class="num">Queued</th><th class="num">Included</th><th class="num">Amount included</th><th class="num">Confirmed</th><th class="num">Failed</th><th class="num">Lapsed</th><th class="num">Batches</th><th class="num">Gas fees paid</th></tr></thead>
<tbody>
<% for (const t of it.totals) { %>
<tr><td>last <%= t.window === '1h' ? 'hour' : 'day' %></td><td class="num"><%= t.accepted %></td><td class="num"><%= t.queued %></td><td class="num"><%= t.included %></td><td class="num"><%= it.h.amount(t.includedAmount, 6) %></td><td class="num"><%= t.confirmed %></td><td class="num"><a href="/admin/failures"><%= t.failed %></a></td><td class="num"><%= t.lapsed %></td><td class="num"><%= t.batches %></td><td class="num"><%= it.h.eth(t.feesPaidWei) %></td></tr>
<% } %>
</tbody>
</table>
</section>`;

const payments = `<% layout('@layout') %>
<h1>Payments <small class="muted"><%= it.h.num(it.total) %> match</small></h1>
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
  <td class="num"><%= it.h.amount(p.amount, it.decimals(p.network, p.asset)) %></td>
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

const payment = `<% layout('@layout') %>
<% const p = it.d.payment; %>
<h1>Payment <code><%= p.reference %></code> <%~ include('@status', { s: p.status }) %></h1>
<% if (p.failure_reason) { %>
<p class="reason"><strong><code><%= p.failure_reason %></code></strong> — <%= it.h.reason(p.failure_reason) %><% if (p.failure_message) { %><br><small><%= p.failure_message %></small><% } %></p>
<% } %>
<% if (it.canAct) { %>
<section class="actions-panel">
  <% if (p.status === 'failed') { %>
  <form method="post" action="/admin/payments/<%= p.reference %>/retry" class="inline"><%~ it.csrfField %>
    <button type="submit" id="retry">Retry settlement</button>
    <small class="muted">Queues it again if the authorization can still succeed (not expired, nonce unused, balance sufficient).</small>
  </form>
  <% } %>
  <% if (['verified', 'queued', 'batched'].includes(p.status)) { %>
  <form method="post" action="/admin/payments/<%= p.reference %>/void" class="inline void-form"><%~ it.csrfField %>
    <input name="reason" placeholder="why void it? (required)" required minlength="3" maxlength="500">
    <button type="submit" class="secondary">Void payment</button>
  </form>
  <% } %>
  <% if (['submitted', 'included'].includes(p.status)) { %><p class="muted">Already broadcast: it can no longer be voided. Replace the batch transaction if it is stuck.</p><% } %>
</section>
<% } %>
<div class="cols">
<section>
<h2>Authorization</h2>
<table class="kv">
<tr><th>Merchant</th><td><a href="/admin/merchants/<%= p.merchant_id %>"><%= p.merchant_name %></a></td></tr>
<tr><th>Amount</th><td><%= it.h.amount(p.amount, it.decimals(p.network, p.asset)) %> <small class="muted">(<%= p.amount %> atomic)</small></td></tr>
<tr><th>Network / asset</th><td><%= p.network %> · <code><%= p.asset %></code></td></tr>
<tr><th>Payer</th><td><a href="/admin/payments?payer=<%= p.payer %>"><code><%= p.payer %></code></a></td></tr>
<tr><th>payTo</th><td><code><%= p.pay_to %></code></td></tr>
<tr><th>Nonce</th><td><code><%= p.nonce %></code></td></tr>
<tr><th>Valid before</th><td><%= it.h.time(p.expires_at) %> (<%= it.h.ago(p.expires_at) %>)</td></tr>
<tr><th>Mode</th><td><%= p.settlement_mode || '—' %></td></tr>
<tr><th>Attempts</th><td><%= p.attempts %></td></tr>
<% if (p.payment_identifier) { %><tr><th>payment-identifier</th><td><code><%= p.payment_identifier %></code></td></tr><% } %>
</table>
</section>
<section>
<h2>Settlement</h2>
<table class="kv">
<tr><th>Batch</th><td><% if (p.batch_id) { %><a href="/admin/batches/<%= p.batch_id %>"><code><%= it.h.short(p.batch_id, 8) %></code></a><% } else { %>—<% } %></td></tr>
<tr><th>Transaction</th><td><% if (p.tx_hash) { %><code><%= p.tx_hash %></code><% } else { %>—<% } %><% if (p.log_index !== null && p.log_index !== undefined) { %> log #<%= p.log_index %><% } %></td></tr>
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
<tr><td><%= e.id %></td><td><%= it.h.time(e.created_at) %></td><td><%= e.from_status || '—' %></td><td><%~ include('@status', { s: e.to_status }) %></td><td><% if (e.reason) { %><code title="<%= it.h.reason(e.reason) %>"><%= e.reason %></code><% } %></td><td><% if (e.detail) { %><small><code><%= it.h.json(e.detail) %></code></small><% } %></td></tr>
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
<% if (!it.d.transactions.length) { %><tr><td colspan="8" class="muted">Not broadcast yet.</td></tr><% } %>
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

const batches = `<% layout('@layout') %>
<h1>Batches</h1>
<form method="get" action="/admin/batches" class="filters inline-filters">
  <label>Status <select name="status" onchange="this.form.submit()"><option value="">any</option><% for (const s of ['building','submitted','included','confirmed','failed','cancelled']) { %><option<%= it.status === s ? ' selected' : '' %>><%= s %></option><% } %></select></label>
  <noscript><button type="submit" class="small">Filter</button></noscript>
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

const batch = `<% layout('@layout') %>
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
<tr><th>Rows / landed</th><td><%= b.payment_count %> / <%= it.d.landed %></td></tr>
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
  <td class="num"><%= it.h.amount(r.amount, it.decimals(b.network, b.asset)) %></td>
  <td><% if (r.still_in_batch) { %><%= ['included','confirmed'].includes(r.status) ? 'landed' : 'pending' %><% } else if (r.left_with) { %>left → <%= r.left_with.to_status %> <code title="<%= it.h.reason(r.left_with.reason) %>"><%= r.left_with.reason || '' %></code><% } else { %>—<% } %></td>
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

const failures = `<% layout('@layout') %>
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

const webhooks = `<% layout('@layout') %>
<h1>Webhook deliveries</h1>
<% if (!it.available) { %><p class="muted">Webhook tables are not present in this database yet.</p><% } else { %>
<form method="get" action="/admin/webhooks" class="filters inline-filters">
  <label>Merchant <select name="merchant"><option value="">any</option><% for (const m of it.merchants) { %><option value="<%= m.id %>"<%= it.f.merchant === m.id ? ' selected' : '' %>><%= m.name %></option><% } %></select></label>
  <label>Status <select name="status"><option value="">any</option><% for (const s of ['pending','succeeded','failed']) { %><option<%= it.f.status === s ? ' selected' : '' %>><%= s %></option><% } %></select></label>
  <% if (it.f.endpoint) { %><input type="hidden" name="endpoint" value="<%= it.f.endpoint %>"><% } %>
  <button type="submit" class="small">Filter</button>
</form>
<table>
<thead><tr><th>Created</th><th>Merchant</th><th>Endpoint</th><th>Event</th><th>Payment</th><th>Status</th><th>Attempts</th><th>Actions</th></tr></thead>
<tbody>
<% for (const d of it.rows) { %>
<tr>
  <td title="<%= it.h.time(d.created_at) %>"><%= it.h.ago(d.created_at) %></td>
  <td><a href="/admin/merchants/<%= d.merchant_id %>"><%= d.merchant_name %></a></td>
  <td class="wrap"><a href="/admin/webhooks?endpoint=<%= d.endpoint_id %>"><%= d.url %></a></td>
  <td><%= d.event_type %><% if (d.replay_of) { %> <span class="badge s-queued">replay</span><% } %></td>
  <td><% if (d.payment_reference) { %><a href="/admin/payments/<%= d.payment_reference %>"><code><%= d.payment_reference %></code></a><% } %></td>
  <td><%~ include('@status', { s: d.status }) %></td>
  <td><details><summary><%= d.attempt_count %> attempt<%= d.attempt_count === 1 ? '' : 's' %><% if (d.last_status_code) { %> · HTTP <%= d.last_status_code %><% } %></summary>
    <ul class="attempts"><% for (const a of d.attempts) { %><li>#<%= a.attempt %> <%= it.h.time(a.started_at) %> → <%= a.status_code ?? 'no response' %> in <%= a.latency_ms %> ms<% if (a.error) { %> <small><%= a.error %></small><% } %></li><% } %></ul>
  </details></td>
  <td class="actions"><% if (it.canAct && it.canReplay) { %><form method="post" action="/admin/webhooks/deliveries/<%= d.id %>/replay" class="inline"><%~ it.csrfField %><button type="submit" class="small secondary">Replay</button></form><% } %></td>
</tr>
<% } %>
<% if (!it.rows.length) { %><tr><td colspan="8" class="muted">No deliveries.</td></tr><% } %>
</tbody>
</table>
<% } %>`;

const merchants = `<% layout('@layout') %>
<h1>Merchants</h1>
<table>
<thead><tr><th>Name</th><th>Status</th><th>Keys (prefix)</th><th>payTo</th><th>Mode</th><th class="num">Confirmed ≥</th><th class="num">Endpoints</th><th class="num">Payments</th><th>Actions</th></tr></thead>
<tbody>
<% for (const m of it.rows) { %>
<tr>
  <td><a href="/admin/merchants/<%= m.id %>"><%= m.name %></a></td>
  <td><%~ include('@status', { s: m.status }) %></td>
  <td><% for (const k of m.key_prefixes) { %><code><%= k %>…</code> <% } %></td>
  <td><% for (const a of m.pay_to) { %><code title="<%= a %>"><%= it.h.short(a, 4) %></code> <% } %></td>
  <td><%= m.settlement_mode %></td>
  <td class="num"><%= m.confirmed_threshold ?? '—' %></td>
  <td class="num"><%= m.endpoints %></td>
  <td class="num"><a href="/admin/payments?merchant=<%= m.id %>"><%= m.payments %></a></td>
  <td class="actions"><% if (it.canAct) { %><form method="post" action="/admin/merchants/<%= m.id %>/<%= m.status === 'active' ? 'suspend' : 'activate' %>" class="inline"><%~ it.csrfField %><button type="submit" class="small secondary"><%= m.status === 'active' ? 'Suspend' : 'Activate' %></button></form><% } %></td>
</tr>
<% } %>
</tbody>
</table>
<% if (it.canAct) { %>
<details>
<summary role="button" class="secondary">New merchant</summary>
<form method="post" action="/admin/merchants"><%~ it.csrfField %>
  <div class="grid-filters">
    <label>Name <input name="name" required maxlength="200"></label>
    <label>payTo addresses <input name="payTo" required placeholder="0x…, 0x…"></label>
    <label>Default mode <select name="settlementMode"><option>deferred</option><option>confirmed</option></select></label>
    <label>Confirmed at or above (atomic units) <input name="confirmedThreshold" inputmode="numeric" placeholder="optional"></label>
  </div>
  <button type="submit">Create merchant</button>
</form>
</details>
<% } %>`;

const merchant = `<% layout('@layout') %>
<% const m = it.m.merchant; %>
<h1><%= m.name %> <%~ include('@status', { s: m.status }) %></h1>
<% if (it.apiKey) { %>
<article class="secret"><strong>API key — shown once, store it now:</strong><br><code id="api-key"><%= it.apiKey %></code></article>
<% } %>
<table class="kv">
<tr><th>Id</th><td><code><%= m.id %></code></td></tr>
<tr><th>API keys (prefix only)</th><td><% for (const k of m.key_prefixes) { %><code><%= k %>…</code> <% } %></td></tr>
<tr><th>payTo</th><td><% for (const a of m.pay_to) { %><code><%= a %></code><br><% } %></td></tr>
<tr><th>Policy</th><td>default mode <strong><%= m.settlement_mode %></strong>; confirmed at or above <strong><%= m.confirmed_threshold ?? 'never' %></strong>; max unsettled exposure <strong><%= m.max_unsettled_exposure ?? 'unlimited' %></strong></td></tr>
<tr><th>Created</th><td><%= it.h.time(m.created_at) %></td></tr>
</table>
<% if (it.canAct) { %><form method="post" action="/admin/merchants/<%= m.id %>/<%= m.status === 'active' ? 'suspend' : 'activate' %>" class="inline"><%~ it.csrfField %><button type="submit" class="secondary"><%= m.status === 'active' ? 'Suspend merchant' : 'Activate merchant' %></button></form><% } %>
<h2>Webhook endpoints</h2>
<table>
<thead><tr><th>URL</th><th>Events</th><th>Status</th><th>Last success</th><th>Failing since</th><th></th></tr></thead>
<tbody>
<% for (const e of it.m.endpoints) { %>
<tr><td class="wrap"><%= e.url %></td><td><small><%= (e.event_types || []).join(', ') %></small></td><td><%~ include('@status', { s: e.status }) %><% if (e.disabled_reason) { %> <small><%= e.disabled_reason %></small><% } %></td><td><%= it.h.time(e.last_success_at) %></td><td><%= it.h.time(e.failing_since) %></td><td><a href="/admin/webhooks?endpoint=<%= e.id %>">deliveries</a></td></tr>
<% } %>
<% if (!it.m.endpoints.length) { %><tr><td colspan="6" class="muted">No endpoints.</td></tr><% } %>
</tbody>
</table>`;

const auditTable = `<table>
<thead><tr><th>At</th><th>Actor</th><th>Action</th><th>Target</th><th>Before</th><th>After</th></tr></thead>
<tbody>
<% for (const a of it.rows) { %>
<tr data-action="<%= a.action %>">
  <td><%= it.h.time(a.at) %></td><td><%= a.actor %></td><td><code><%= a.action %></code></td>
  <td><% if (a.target_type === 'payment') { %><a href="/admin/payments/<%= a.target_id %>"><code><%= a.target_id %></code></a><% } else if (a.target_type === 'batch') { %><a href="/admin/batches/<%= a.target_id %>"><code><%= it.h.short(a.target_id, 8) %></code></a><% } else if (a.target_type === 'merchant') { %><a href="/admin/merchants/<%= a.target_id %>"><code><%= it.h.short(a.target_id, 8) %></code></a><% } else { %><code><%= a.target_id || '' %></code><% } %></td>
  <td class="wrap"><% if (a.before) { %><small><code><%= it.h.json(a.before) %></code></small><% } %></td>
  <td class="wrap"><% if (a.after) { %><small><code><%= it.h.json(a.after) %></code></small><% } %></td>
</tr>
<% } %>
<% if (!it.rows.length) { %><tr><td colspan="6" class="muted">Nothing recorded.</td></tr><% } %>
</tbody>
</table>`;

const audit = `<% layout('@layout') %>
<h1>Audit log</h1>
<p class="muted">Every admin action: who, what, when, and the state before and after. Append-only.</p>
<%~ include('@auditTable', { rows: it.rows, h: it.h }) %>
<nav class="pager">
<% if (it.offset > 0) { %><a href="/admin/audit?offset=<%= Math.max(0, it.offset - 100) %>">← newer</a><% } %>
<% if (it.rows.length === 100) { %><a href="/admin/audit?offset=<%= it.offset + 100 %>">older →</a><% } %>
</nav>`;

const error = `<% layout('@layout') %>
<article>
<h1><%= it.status %> — <%= it.heading %></h1>
<p><%= it.message %></p>
<p><a href="/admin">Back to the overview</a></p>
</article>`;

/** Every template by name (loaded as `@name`). */
export const TEMPLATES = {
  layout,
  status,
  login,
  overview,
  payments,
  payment,
  batches,
  batch,
  failures,
  webhooks,
  merchants,
  merchant,
  auditTable,
  audit,
  error,
} as const;

/** Console-specific styles on top of Pico (compact tables fit 1280×800). */
export const CONSOLE_CSS = `
:root { --pico-font-size: 15px; --pico-spacing: .75rem; }
body > header, body > main { max-width: 1500px; margin: 0 auto; padding-left: 1.25rem; padding-right: 1.25rem; }
body > header { padding-top: .25rem; padding-bottom: 0; border-bottom: 1px solid var(--pico-muted-border-color); }
nav ul li { padding-top: .35rem; padding-bottom: .35rem; }
nav a[aria-current=page] { font-weight: 700; text-decoration: underline; text-underline-offset: .35em; }
a.brand { color: var(--pico-color); }
h1 { font-size: 1.45rem; margin: 1rem 0 .6rem; } h1 small { font-size: .8rem; font-weight: 400; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
section { margin-bottom: .75rem; }
table { font-size: .82rem; margin-bottom: .75rem; }
th, td { padding: .3rem .45rem; white-space: nowrap; vertical-align: top; }
td.wrap, th.wrap { white-space: normal; max-width: 28rem; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 16rem; color: var(--pico-muted-color); font-weight: 500; }
code { font-size: .78rem; padding: .05rem .25rem; }
.muted { color: var(--pico-muted-color); font-size: .85rem; }
.alarm { padding: .5rem .8rem; border-left: 4px solid #b91c1c; background: #fee2e2; color: #7f1d1d; font-size: .9rem; }
tr.wedged td { background: #fee2e2; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .72rem; font-weight: 600; background: #e8e8e8; color: #333; }
.s-verified { background: #eef2ff; color: #3730a3; } .s-queued, .s-pending, .s-building { background: #e0ecff; color: #1d4ed8; }
.s-batched, .s-submitted { background: #fef3c7; color: #92400e; } .s-included { background: #dcfce7; color: #166534; }
.s-confirmed, .s-active, .s-succeeded { background: #bbf7d0; color: #14532d; } .s-failed, .s-suspended, .s-disabled, .s-cancelled, .s-dropped { background: #fee2e2; color: #991b1b; }
.s-lapsed, .s-replaced { background: #f3f4f6; color: #4b5563; }
.role { font-weight: 600; } .role-operator { color: #b45309; } .who { font-size: .85rem; }
form.inline { display: inline-block; margin: 0 .25rem 0 0; }
button.small, .actions button { padding: .2rem .6rem; font-size: .78rem; margin: 0; width: auto; }
.actions-panel { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; padding: .6rem .8rem; border: 1px solid var(--pico-muted-border-color); border-radius: .4rem; }
.actions-panel form { display: flex; gap: .5rem; align-items: center; margin: 0; }
.actions-panel input { margin: 0; width: 22rem; } .actions-panel button { width: auto; margin: 0; }
.grid-filters { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0 .75rem; }
.grid-filters label { font-size: .8rem; } .grid-filters input, .grid-filters select { padding: .3rem .5rem; font-size: .82rem; height: auto; margin-bottom: .4rem; }
.inline-filters { display: flex; gap: .75rem; align-items: end; } .inline-filters label { font-size: .8rem; } .inline-filters select { width: auto; padding: .3rem 2rem .3rem .5rem; margin: 0; }
.filters button { width: auto; }
.flash { padding: .5rem .8rem; border-radius: .4rem; margin: .6rem 0; } .flash-ok { background: #dcfce7; color: #14532d; } .flash-err { background: #fee2e2; color: #7f1d1d; }
.reason { padding: .5rem .8rem; background: #fff7ed; border-left: 4px solid #ea580c; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }
.pager { display: flex; gap: 1rem; }
article.login { max-width: 26rem; margin: 3rem auto; }
article.secret { background: #fffbeb; border: 1px solid #f59e0b; }
ul.attempts { margin: .3rem 0 0; padding-left: 1rem; font-size: .78rem; }
details summary { font-size: .82rem; }
`;
