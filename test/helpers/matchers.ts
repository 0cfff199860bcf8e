import { expect } from "vitest";

/**
 * Vitest's asymmetric matchers, typed as returning `unknown`. Vitest types
 * `expect.any()`, `expect.stringMatching()` and `expect.objectContaining()`
 * as returning `any`, which the lint rule no-unsafe-assignment reports
 * wherever one is a property of an object literal (an expected object of
 * toEqual or toMatchObject). These are the very same matchers.
 */
export const match = {
  any: (constructor: unknown): unknown => expect.any(constructor),
  stringMatching: (expected: string | RegExp): unknown => expect.stringMatching(expected),
  objectContaining: (expected: Record<string, unknown>): unknown => expect.objectContaining(expected),
};
