/**
 * The tally the UI-level checks share: one line per check, "N passed, N failed" last, and an
 * exit code that is 0 only when something passed and nothing failed.
 */
export class Checks {
  passed = 0;
  failed = 0;

  ok(name: string): void {
    this.passed++;
    console.log(`ok    ${name}`);
  }

  fail(name: string, why: string): void {
    this.failed++;
    console.log(`FAIL  ${name}\n      ${why}`);
  }

  /** Prints the closing line and returns the exit code. */
  finish(): number {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0 && this.passed > 0 ? 0 : 1;
  }

  /** Runs a script's main and exits with the tally (1 when main itself throws). */
  exitAfter(main: () => Promise<unknown>): void {
    main().then(
      () => process.exit(this.finish()),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  }
}
