// Lint: typescript-eslint with type information. Its type-aware rules catch
// what matters most in money code: a promise nobody awaits (a settle that
// silently never runs), a promise passed where its rejection is lost, an
// await of something that is not a promise, a switch that forgets a state.
// Formatting is Prettier's job (`npm run format`): no stylistic rule here.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "test-results/**", "drizzle/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { project: ["./tsconfig.test.json", "./tsconfig.dashboard.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // An async function with no await is how an interface (a transport's send, a resolver) is given a promise.
      "@typescript-eslint/require-await": "off",
    },
  },
  // TypeScript itself reports undefined names, with the right globals for each compile (Node, or the browser's DOM).
  { files: ["**/*.ts"], rules: { "no-undef": "off" } },
  { files: ["src/server/http/dashboard/ui/**/*.ts"], languageOptions: { globals: { ...globals.browser } } },
  { files: ["**/*.mjs", "**/*.js"], ...tseslint.configs.disableTypeChecked },
);
