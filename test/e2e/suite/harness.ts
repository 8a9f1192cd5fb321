/**
 * A small sequential test harness for the real-editor suite, which runs inside the extension
 * host (no vitest there): each test runs in order with a timeout, and reports one line
 * `e2e: PASS <name>` or `e2e: FAIL <name>: <error>` on the console, which the runners
 * (run-code-server.ts, run-electron.ts) count. `screenshot(name)` asks the code-server runner
 * to save the page as test/e2e/screenshots/<name>.png (under @vscode/test-electron it is only
 * a log line).
 */

export interface TestCase {
  name: string;
  fn: () => Promise<void>;
  /** Default 30 s. */
  timeoutMs?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/**
 * Poll `probe` until it returns a value other than undefined/false.
 * @throws Error naming `what` (and the last value seen) when `timeoutMs` passes first
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await probe();
    if (last !== undefined && last !== false) return last as T;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(intervalMs);
  }
}

/** Ask the runner for a screenshot and give it time to take it. */
export async function screenshot(name: string): Promise<void> {
  await sleep(800);
  console.log(`e2e: SCREENSHOT ${name}`);
  await sleep(1200);
}

/**
 * Run the tests in order. A test that fails does not stop the others.
 * @returns the counts
 */
export async function runTests(tests: TestCase[]): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    const timeout = t.timeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([t.fn(), new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${timeout} ms`)), timeout)))]);
      passed++;
      console.log(`e2e: PASS ${t.name}`);
    } catch (err) {
      failed++;
      const text = err instanceof Error ? `${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(err);
      console.log(`e2e: FAIL ${t.name}: ${text}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return { passed, failed };
}
