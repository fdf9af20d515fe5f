/**
 * Console templates of the overview, merchants, webhooks and the audit log.
 * (`<%= %>` escapes HTML; `<%~ %>` only for the layout body, the CSRF field and helper output built
 * from numbers.)
 */

export const overview = `<% layout('@layout') %>
<h1>Overview <small class="muted">as of <%= it.h.time(it.generatedAt) %></small></h1>
<section>
<h2>Lanes</h2>
<p class="muted">A lane is one token on one network. Queued payments wait here until the lane flushes (size, age or deadline); relayers below carry its batches. A lane turns amber (slow) when its oldest queued payment waited over <%= it.laneThresholds.slowAfterSeconds %> s and red (stalled) over <%= it.laneThresholds.stalledAfterSeconds %> s (5× and 15× <code>BATCH_MAX_WAIT_MS</code>, at least 10 s and 30 s).</p>
<table>
<thead><tr><th>Network</th><th>Asset</th><th class="num">Queued</th><th class="num">Batched</th><th class="num">Submitted</th><th>Oldest queued</th><th>Earliest deadline</th><th class="num">Exposure</th><th class="num">Open batches</th><th>State</th><th>Actions</th></tr></thead>
<tbody>
<% for (const l of it.lanes) { %>
<tr data-lane="<%= l.network %>/<%= l.asset %>" data-health="<%= l.health %>" class="<%= l.health === 'stalled' ? 'r-red' : l.health === 'slow' ? 'r-amber' : '' %>">
  <td><%= l.network %></td>
  <td title="<%= l.asset %>"><%= l.symbol || it.h.short(l.asset) %></td>
  <td class="num" data-metric="queued"><%= l.queued %></td>
  <td class="num"><%= l.batched %></td>
  <td class="num"><%= l.submitted %></td>
  <td><%= l.queued ? it.h.seconds(l.oldestQueuedAgeSeconds) : '—' %></td>
  <td><%= l.earliestDeadline ? it.h.ago(l.earliestDeadline) : '—' %></td>
  <td class="num" title="unsettled: verified + queued + batched + submitted"><%= it.h.amount(l.exposure, l.decimals) %> <%= l.symbol || '' %></td>
  <td class="num"><%= l.openBatches %></td>
  <td><% if (l.paused) { %><span class="badge s-failed" title="<%= l.pausedReason || '' %>">paused</span><% if (l.pausedReason) { %> <small><%= l.pausedReason %></small><% } %><% } else if (l.health === 'stalled') { %><span class="badge s-stalled" title="oldest queued payment waited far past BATCH_MAX_WAIT_MS">stalled</span><% } else if (l.health === 'slow') { %><span class="badge s-slow" title="oldest queued payment waited well past BATCH_MAX_WAIT_MS">slow</span><% } else { %><span class="badge s-confirmed">running</span><% } %><% if (l.flushRequestedAt) { %> <span class="badge s-queued">flush requested</span><% } %></td>
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
<% for (const r of it.relayers.filter((x) => x.balanceLevel === 'critical' || x.balanceLevel === 'low')) { %>
<p class="alarm" role="alert"><strong>Relayer low on gas.</strong> <%= r.address %> on <%= r.network %> holds <%= it.h.eth(r.balanceWei) %>, below <%= it.h.eth(r.lowBalanceWei) %> (<code>RELAYER_LOW_BALANCE_WEI</code>)<%= r.balanceLevel === 'critical' ? ', under a quarter of it' : '' %>: top it up before its batches fail for gas.</p>
<% } %>
<table>
<thead><tr><th>Network</th><th>Address</th><th class="num">Balance</th><th class="num">Low below</th><th class="num">Next nonce (Tollgate)</th><th class="num">Pending nonce (chain)</th><th class="num">Drift</th><th class="num">Nonce gap</th><th class="num">Open batches</th></tr></thead>
<tbody>
<% for (const r of it.relayers) { %>
<tr class="<%= r.wedged ? 'wedged' : '' %>" data-relayer="<%= r.address %>" data-balance="<%= r.balanceLevel %>" data-drift="<%= r.nonceDrift ?? '' %>"><td><%= r.network %></td><td><code><%= r.address %></code></td><td class="num<%= r.balanceLevel === 'critical' ? ' r-red-cell' : r.balanceLevel === 'low' ? ' r-amber-cell' : '' %>"><%= r.balanceWei === null ? (r.error ? 'unavailable' : '—') : it.h.eth(r.balanceWei) %></td><td class="num muted"><%= r.lowBalanceWei ? it.h.eth(r.lowBalanceWei) : 'off' %></td><td class="num"><%= r.nextNonce ?? '—' %></td><td class="num"><%= r.chainNonce ?? '—' %></td><td class="num<%= r.nonceDrift ? ' r-amber-cell' : '' %>" title="Tollgate's next nonce minus the chain's pending nonce: above 0, nonces allocated but not (yet) on the chain; below 0, something else sent from this key"><%= r.nonceDrift === null ? '—' : (r.nonceDrift > 0 ? '+' : '') + r.nonceDrift %></td><td class="num"><%= r.nonceGap ? (r.wedged ? 'WEDGED: ' : 'filling: ') + r.nonceGap : '0' %></td><td class="num"><%= r.openBatches %></td></tr>
<% } %>
</tbody>
</table>
</section>
<%~ include('@svmOverview', it) %>
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

export const webhooks = `<% layout('@layout') %>
<h1>Webhook deliveries</h1>
<% if (!it.available) { %><p class="muted">Webhook tables are not present in this database yet.</p><% } else { %>
<section id="failing-endpoints">
<h2>Failing endpoints</h2>
<% if (!it.failing.length) { %><p class="muted">Every endpoint's last attempt succeeded.</p><% } else { %>
<table>
<thead><tr><th>Merchant</th><th>Endpoint</th><th>Status</th><th class="num">Consecutive failures</th><th>Last error</th><th>Failing since</th><th>Last success</th></tr></thead>
<tbody>
<% for (const e of it.failing) { %>
<tr class="<%= e.status === 'disabled' ? 'r-red' : 'r-amber' %>" data-endpoint="<%= e.id %>">
  <td><a href="/admin/merchants/<%= e.merchant_id %>"><%= e.merchant_name %></a></td>
  <td class="wrap"><a href="/admin/webhooks?endpoint=<%= e.id %>"><%= e.url %></a></td>
  <td><%~ include('@status', { s: e.status }) %><% if (e.disabled_reason) { %> <small><%= e.disabled_reason %></small><% } %></td>
  <td class="num" data-metric="consecutive-failures"><%= e.consecutive_failures %></td>
  <td class="wrap"><small><%= e.last_error || '—' %></small></td>
  <td title="<%= it.h.time(e.failing_since) %>"><%= it.h.ago(e.failing_since) %></td>
  <td title="<%= it.h.time(e.last_success_at) %>"><%= e.last_success_at ? it.h.ago(e.last_success_at) : 'never' %></td>
</tr>
<% } %>
</tbody>
</table>
<% } %>
</section>
<h2>Deliveries</h2>
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
<nav class="pager" aria-label="Deliveries pages">
<% if (it.paged) { %><a href="/admin/webhooks<%= it.h.qs(it.f) %>">← newest</a><% } %>
<% if (it.older) { %><a href="/admin/webhooks<%= it.h.qs({ ...it.f, before: it.older }) %>" rel="next">older →</a><% } %>
</nav>
<% } %>`;

export const merchants = `<% layout('@layout') %>
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

export const merchant = `<% layout('@layout') %>
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
<% if (it.canAct) { %><form method="post" action="/admin/merchants/<%= m.id %>/<%= m.status === 'active' ? 'suspend' : 'activate' %>" class="inline"><%~ it.csrfField %><button type="submit" class="secondary"><%= m.status === 'active' ? 'Suspend merchant' : 'Activate merchant' %></button></form>
<details>
<summary role="button" class="secondary">Issue a new API key</summary>
<form method="post" action="/admin/merchants/<%= m.id %>/api-keys"><%~ it.csrfField %>
  <label>Label <input name="name" maxlength="100" placeholder="issued by an operator"></label>
  <label><input type="checkbox" name="revokeExisting"> Revoke the merchant's other keys (when they may be in someone else's hands)</label>
  <button type="submit">Issue API key</button>
</form>
</details><% } %>
<h2>Webhook endpoints</h2>
<table>
<thead><tr><th>URL</th><th>Events</th><th>Status</th><th>Last success</th><th>Failing since</th><th></th></tr></thead>
<tbody>
<% for (const e of it.m.endpoints) { %>
<tr><td class="wrap"><%= e.url %></td><td><small><%= (e.event_types || []).includes('*') ? 'every event (*)' : (e.event_types || []).join(', ') %></small></td><td><%~ include('@status', { s: e.status }) %><% if (e.disabled_reason) { %> <small><%= e.disabled_reason %></small><% } %></td><td><%= it.h.time(e.last_success_at) %></td><td><%= it.h.time(e.failing_since) %></td><td><a href="/admin/webhooks?endpoint=<%= e.id %>">deliveries</a></td></tr>
<% } %>
<% if (!it.m.endpoints.length) { %><tr><td colspan="6" class="muted">No endpoints.</td></tr><% } %>
</tbody>
</table>`;

export const auditTable = `<table>
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

export const audit = `<% layout('@layout') %>
<h1>Audit log</h1>
<p class="muted">Every admin action: who, what, when, and the state before and after. Append-only.</p>
<%~ include('@auditTable', { rows: it.rows, h: it.h }) %>
<nav class="pager">
<% if (it.offset > 0) { %><a href="/admin/audit?offset=<%= Math.max(0, it.offset - 100) %>">← newer</a><% } %>
<% if (it.rows.length === 100) { %><a href="/admin/audit?offset=<%= it.offset + 100 %>">older →</a><% } %>
</nav>`;
