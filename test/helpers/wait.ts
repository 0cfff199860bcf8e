/**
 * Waiting for events, never for a fixed time: a test states the condition it
 * needs and polls it. The deadline is only a backstop that names what never
 * happened; it sits well above anything a busy machine needs, and below the
 * test timeout (vitest.config.ts), so a hang still fails with a reason.
 */

/** How long waitFor waits by default before it gives up and says what it was waiting for. */
export const WAIT_BACKSTOP_MS = 90_000;

/** Waits until `condition` holds (it may be async), polling every 25 ms; fails after `timeoutMs`, saying `describe()`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = WAIT_BACKSTOP_MS, describe?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in time${describe ? `: ${describe()}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
