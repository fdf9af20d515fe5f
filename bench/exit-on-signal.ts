/**
 * Preloaded (`-r`) into the API and the worker only when `npm run bench -- --profile` runs them under
 * `--cpu-prof`: V8 writes the profile when the process exits, but Nest's shutdown hooks end the API by
 * re-raising SIGTERM, which kills it before anything is written. Exiting ourselves on the first signal (this
 * listener is registered before the app's) lets the profile land. Never loaded otherwise.
 */
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => process.exit(0));
}
