/**
 * Console frame templates: the layout, the status badge, sign-in and error pages, and the console CSS.
 * (`<%= %>` escapes HTML; `<%~ %>` only for the layout body, the CSRF field and helper output built
 * from numbers.)
 */

export const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="<%= it.csrf %>">
<% if (it.refreshSeconds) { %><meta http-equiv="refresh" content="<%= it.refreshSeconds %>">
<% } %>
<title><%= it.title %> · Tollgate operator console</title>
<link rel="icon" href="/admin/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/admin/assets/pico.min.css">
<link rel="stylesheet" href="/admin/assets/console.css">
</head>
<body>
<a href="#main" class="skip-link">Skip to content</a>
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
<main id="main" tabindex="-1">
<% if (it.admin && it.workers && it.workers.stale) { %><p class="alarm" role="alert" id="worker-banner"><strong>No worker seen <%= it.workers.lastSeenAgeSeconds === null ? 'yet' : 'for ' + it.h.seconds(it.workers.lastSeenAgeSeconds) %>.</strong> Nothing is being settled: queued payments wait and no webhook is delivered until a worker runs (<code>npm run start:worker</code>). Shown after <%= it.workers.staleAfterSeconds %> s without a heartbeat (<code>WORKER_STALE_AFTER_SECONDS</code>).</p><% } %>
<% if (it.notice) { %><p class="flash flash-ok" role="status"><%= it.notice %></p><% } %>
<% if (it.error) { %><p class="flash flash-err" role="alert"><%= it.error %></p><% } %>
<%~ it.body %>
</main>
</body>
</html>`;

export const status = `<span class="badge s-<%= it.s %>"><%= it.s %></span>`;

export const login = `<% layout('@layout') %>
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

export const error = `<% layout('@layout') %>
<article>
<h1><%= it.status %> — <%= it.heading %></h1>
<p><%= it.message %></p>
<p><a href="/admin">Back to the overview</a></p>
</article>`;

/** The console's icon: a gate in the brand colour, as SVG (served at /admin/assets/favicon.svg). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d4ed8"/><path d="M7 25V9h3v16zm15 0V9h3v16zM10 12h12v3H10zm0 6h12v3H10z" fill="#fff"/></svg>`;

/** Console-specific styles on top of Pico (compact tables fit 1280×800). */
export const CONSOLE_CSS = `
:root { --pico-font-size: 15px; --pico-spacing: .75rem; }
body > header, body > main { max-width: 1500px; margin: 0 auto; padding-left: 1.25rem; padding-right: 1.25rem; }
body > header { padding-top: .25rem; padding-bottom: 0; border-bottom: 1px solid var(--pico-muted-border-color); }
body > header nav, body > header nav ul { flex-wrap: wrap; }
nav ul li { padding-top: .35rem; padding-bottom: .35rem; }
nav a[aria-current=page] { font-weight: 700; text-decoration: underline; text-underline-offset: .35em; }
a.brand { color: var(--pico-color); }
h1 { font-size: 1.45rem; margin: 1rem 0 .6rem; } h1 small { font-size: .8rem; font-weight: 400; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
section { margin-bottom: .75rem; }
table { font-size: .82rem; margin-bottom: .75rem; }
th, td { padding: .3rem .45rem; white-space: nowrap; vertical-align: top; }
td.wrap, th.wrap { white-space: normal; max-width: 28rem; overflow-wrap: anywhere; }
td.detail { white-space: normal; min-width: 16rem; max-width: 36rem; }
pre.json { margin: 0; padding: .3rem .45rem; max-height: 12rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .74rem; }
.table-scroll { max-width: 100%; overflow-x: auto; margin-bottom: .75rem; } .table-scroll > table { margin-bottom: 0; }
.skip-link { position: absolute; left: .5rem; top: -3rem; z-index: 10; padding: .4rem .8rem; background: var(--pico-primary-background); color: var(--pico-primary-inverse); border-radius: .3rem; }
.skip-link:focus { top: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 16rem; color: var(--pico-muted-color); font-weight: 500; }
code { font-size: .78rem; padding: .05rem .25rem; }
.muted { color: var(--pico-muted-color); font-size: .85rem; }
.alarm { padding: .5rem .8rem; border-left: 4px solid #b91c1c; background: #fee2e2; color: #7f1d1d; font-size: .9rem; }
tr.wedged td, tr.r-red td { background: #fee2e2; } tr.r-amber td { background: #fef3c7; }
.s-slow, .r-amber-cell { background: #fef3c7; color: #92400e; } .s-stalled { background: #fee2e2; color: #991b1b; }
td.r-amber-cell { font-weight: 600; } td.r-red-cell { background: #fee2e2; color: #991b1b; font-weight: 600; }
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
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5rem; }
@media (max-width: 1180px) { .cols { grid-template-columns: minmax(0, 1fr); gap: 0; } thead th { white-space: normal; } }
.pager { display: flex; gap: 1rem; }
article.login { max-width: 26rem; margin: 3rem auto; }
article.secret { background: #fffbeb; border: 1px solid #f59e0b; }
ul.attempts { margin: .3rem 0 0; padding-left: 1rem; font-size: .78rem; }
details summary { font-size: .82rem; }
`;
