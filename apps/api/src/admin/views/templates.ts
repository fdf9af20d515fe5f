/**
 * Eta templates of the operator console, kept in TypeScript so `nest build` ships them without an
 * asset-copy step. `<%= %>` escapes HTML; `<%~ %>` is used only for the layout body, the CSRF field and
 * helper output built from numbers.
 */
import { CONSOLE_CSS, FAVICON_SVG, error, layout, login, status } from './frame.templates';
import { audit, auditTable, merchant, merchants, overview, webhooks } from './console.templates';
import { batch, batches, failures, payment, payments } from './settlement.templates';
import { paymentChain, svmOverview } from './svm.templates';

export { CONSOLE_CSS, FAVICON_SVG };

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
  svmOverview,
  paymentChain,
} as const;
