/**
 * Console templates of the Solana pieces (issue #15), included from the overview and the payment page:
 * Solana lanes per (network, mint), fee payers with their SOL balance, and a payment's chain rows
 * (signature, slot, commitment, fee payer, explorer link — the explorer row serves EVM payments too).
 * (`<%= %>` escapes HTML; `<%~ %>` only for includes.)
 */

/** Overview section: `it.solana` ({@link SvmOverview}) — nothing when no Solana network is served. */
export const svmOverview = `<% if (it.solana) { %>
<section id="solana">
<h2>Solana lanes</h2>
<p class="muted">One lane per network and mint. Each payment is its own transaction, so there is no batch wait: the worker signs what is queued on its next pass. A lane turns amber when its oldest queued payment waited over <%= it.laneThresholds.slowAfterSeconds %> s, and red over <%= it.laneThresholds.stalledAfterSeconds %> s or as soon as a queued payment's blockhash deadline is within the network's settlement window (<code>SOLANA_SETTLEMENT_WINDOW_SECONDS</code>) or past: it will fail <code>tollgate_blockhash_expired</code> unless signed and landed now.</p>
<table>
<thead><tr><th>Network</th><th>Mint</th><th class="num">Queued</th><th class="num">Signed</th><th class="num">Broadcast</th><th>Oldest queued</th><th>Earliest deadline</th><th class="num">Exposure</th><th>State</th></tr></thead>
<tbody>
<% for (const l of it.solana.lanes) { %>
<tr data-svm-lane="<%= l.network %>/<%= l.asset %>" data-health="<%= l.health %>" class="<%= l.health === 'stalled' ? 'r-red' : l.health === 'slow' ? 'r-amber' : '' %>">
  <td><%= l.network %></td>
  <td title="<%= l.asset %>"><%= l.symbol || '' %> <code><%= it.h.short(l.asset, 4) %></code></td>
  <td class="num" data-metric="queued"><%= l.queued %></td>
  <td class="num"><%= l.batched %></td>
  <td class="num"><%= l.submitted %></td>
  <td><%= l.queued ? it.h.seconds(l.oldestQueuedAgeSeconds) : '—' %></td>
  <td title="blockhash expiry of the earliest queued payment (window <%= it.solana.windows[l.network] ?? '?' %> s)"><%= l.earliestDeadline ? it.h.ago(l.earliestDeadline) : '—' %></td>
  <td class="num" title="unsettled: verified + queued + signed + broadcast"><%= it.h.amount(l.exposure, l.decimals) %> <%= l.symbol || '' %></td>
  <td><% if (l.health === 'stalled') { %><span class="badge s-stalled" title="a queued payment's blockhash is about to expire, or it waited far too long">stalled</span><% } else if (l.health === 'slow') { %><span class="badge s-slow" title="queued payments are not being signed">slow</span><% } else { %><span class="badge s-confirmed">running</span><% } %></td>
</tr>
<% } %>
<% if (!it.solana.lanes.length) { %><tr><td colspan="9" class="muted">No Solana lanes.</td></tr><% } %>
</tbody>
</table>
<h2>Fee payers</h2>
<% for (const f of it.solana.feePayers.filter((x) => x.balanceLevel === 'critical' || x.balanceLevel === 'low')) { %>
<p class="alarm" role="alert"><strong>Fee payer low on SOL.</strong> <%= f.address %> on <%= f.network %> holds <%= it.h.amount(f.balanceLamports, 9) %> SOL<%= f.balanceLevel === 'critical' ? ', below' : ', under twice' %> the <%= it.h.amount(f.minLamports, 9) %> SOL minimum (<code>SOLANA_FEE_PAYER_MIN_LAMPORTS</code>)<%= f.balanceLevel === 'critical' ? ': the worker signs nothing new with it, its payments wait queued until it is refilled' : ': refill it before the worker stops signing with it' %>.</p>
<% } %>
<table>
<thead><tr><th>Network</th><th>Fee payer</th><th class="num">Balance</th><th class="num">Signs above</th><th class="num">In flight</th><th>Oldest in flight</th></tr></thead>
<tbody>
<% for (const f of it.solana.feePayers) { %>
<tr data-fee-payer="<%= f.address %>" data-balance="<%= f.balanceLevel %>"><td><%= f.network %></td><td><code><%= f.address %></code></td><td class="num<%= f.balanceLevel === 'critical' ? ' r-red-cell' : f.balanceLevel === 'low' ? ' r-amber-cell' : '' %>" data-lamports="<%= f.balanceLamports ?? '' %>"><%= f.balanceLamports === null ? (f.error ? 'unavailable' : '—') : it.h.amount(f.balanceLamports, 9) + ' SOL' %></td><td class="num muted"><%= it.h.amount(f.minLamports, 9) %> SOL</td><td class="num" data-metric="in-flight"><%= f.inFlight %></td><td title="<%= it.h.time(f.oldestInFlightSince) %>"><%= f.oldestInFlightSince ? 'signed ' + it.h.ago(f.oldestInFlightSince) : '—' %></td></tr>
<% } %>
<% if (!it.solana.feePayers.length) { %><tr><td colspan="6" class="muted">No Solana fee payers configured.</td></tr><% } %>
</tbody>
</table>
</section>
<% } %>`;

/** Rows of the payment page's Settlement table: the Solana transaction (`it.d.solana`), or the explorer link of an EVM one. */
export const paymentChain = `<% const s = it.d.solana; %>
<% if (s) { %>
<tr><th>Signature</th><td><code data-signature><%= s.signature %></code><% if (s.explorerUrl) { %> <a href="<%= s.explorerUrl %>" rel="noopener noreferrer" target="_blank" data-explorer>explorer</a><% } %></td></tr>
<tr><th>Slot</th><td data-slot><%= s.slot || '—' %></td></tr>
<tr><th>Commitment</th><td data-commitment><%= s.commitment || (s.readError ? 'unavailable' : '—') %><% if (s.confirmations !== null) { %> · <%= s.confirmations %> confirmation<%= s.confirmations === 1 ? '' : 's' %><% } %><% if (s.readError) { %> <small class="muted"><%= s.readError %></small><% } %><% if (s.chainError) { %><br><small>landed failed: <code><%= s.chainError %></code></small><% } %></td></tr>
<tr><th>Fee payer</th><td><code data-fee-payer><%= s.feePayer %></code></td></tr>
<tr><th>Blockhash</th><td><code title="<%= s.blockhash %>"><%= it.h.short(s.blockhash, 6) %></code> · signed <%= it.h.time(s.signedAt) %> · <%= s.broadcasts %> broadcast<%= s.broadcasts === 1 ? '' : 's' %><% if (s.lastBroadcastAt) { %>, last <%= it.h.ago(s.lastBroadcastAt) %><% } %></td></tr>
<% } else if (it.d.explorerUrl) { %>
<tr><th>Explorer</th><td><a href="<%= it.d.explorerUrl %>" rel="noopener noreferrer" target="_blank" data-explorer><%= it.d.explorerUrl %></a></td></tr>
<% } %>`;
