/**
 * One seed for every random choice of a test run (property tests, fuzzing,
 * the fault simulation), printed at the start so a failure always replays:
 *
 *   ECN_TEST_SEED=123456 npm test
 *
 * Runs once in vitest's main process; the workers inherit the variable.
 */
export default function setup(): void {
  const seed = process.env.ECN_TEST_SEED ?? String(Date.now() % 2_147_483_647);
  if (!/^\d{1,10}$/.test(seed)) throw new Error(`ECN_TEST_SEED must be a whole number (got "${seed}")`);
  process.env.ECN_TEST_SEED = seed;
  console.log(`random choices of this run come from ECN_TEST_SEED=${seed} (set it to replay them)`);
}
