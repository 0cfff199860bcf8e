import { defineConfig } from "drizzle-kit";

// Migrations are generated from src/ledger/schema.ts with `npm run db:generate`
// and committed; the server applies them itself at start (src/ledger/migrate.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/ledger/schema.ts",
  out: "./drizzle",
});
