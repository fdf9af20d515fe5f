/** Nothing to undo: each test file drops its own database and stops its own chain. */
export default async function globalTeardown(): Promise<void> {}
