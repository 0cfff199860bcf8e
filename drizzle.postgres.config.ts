import { defineConfig } from "drizzle-kit";

// The PostgreSQL store's migrations, generated from src/ledger/postgres/schema.ts
// with `npm run db:generate` and committed; applied at start under an advisory
// lock (src/ledger/postgres/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/ledger/postgres/schema.ts",
  out: "./drizzle/postgres",
});
