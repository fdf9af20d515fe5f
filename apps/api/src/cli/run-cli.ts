/**
 * Runs a command-line entry point: its resolved number is the exit code; an error of one of the
 * `userErrors` classes prints its message and exits 65 (EX_DATAERR); anything else prints one line
 * `<name> command failed: …` and exits 1 — never a stack trace.
 */
export function runCli(name: string, main: () => Promise<number>, userErrors: Array<new (...args: never[]) => Error> = []): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (userErrors.some((cls) => e instanceof cls)) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(65);
      }
      process.stderr.write(`${name} command failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
