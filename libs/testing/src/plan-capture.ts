import { Pool } from 'pg';

/**
 * A one-connection pool to database `url` on which auto_explain hands every plan back as a notice, and the
 * plans it collected (`plans`, in order; empty it between steps). `settings` are further auto_explain settings,
 * e.g. `log_nested_statements=on` or `log_analyze=on` (row counts per plan node). One connection, so plans
 * cached by earlier statements are the ones later statements use. Needs a superuser (the tests' role).
 */
export function planCapturingPool(url: string, settings: string[] = []): { pool: Pool; plans: string[] } {
  const plans: string[] = [];
  const options = ['session_preload_libraries=auto_explain', 'auto_explain.log_min_duration=0', 'auto_explain.log_level=notice', ...settings.map((s) => `auto_explain.${s}`)]
    .map((o) => `-c ${o}`)
    .join(' ');
  const pool = new Pool({ connectionString: url, max: 1, options });
  pool.on('connect', (client) => {
    client.on('notice', (n) => {
      if (typeof n.message === 'string' && n.message.includes('plan:')) plans.push(n.message);
    });
  });
  return { pool, plans };
}
