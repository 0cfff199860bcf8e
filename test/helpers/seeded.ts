/** Seeds fast-check in every test file from the run's printed seed (see global-seed.ts). */
import fc from "fast-check";

export const TEST_SEED = Number(process.env.ECN_TEST_SEED ?? 0);

fc.configureGlobal({ seed: TEST_SEED });
