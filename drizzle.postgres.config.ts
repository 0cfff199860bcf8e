import { defineConfig } from "drizzle-kit";

// The PostgreSQL store's migrations, generated from src/ledger/postgres/schema.ts
// (and schema-limits.ts, the PostgreSQL-only rate limit counters) with
// `npm run db:generate` and committed; applied at start under an advisory
// lock (src/ledger/postgres/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/ledger/postgres/schema.ts", "./src/ledger/postgres/schema-limits.ts"],
  out: "./drizzle/postgres",
});
