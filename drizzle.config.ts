import { defineConfig } from "drizzle-kit";

// The SQLite store's migrations are generated from src/ledger/sqlite/schema.ts
// with `npm run db:generate` and committed; the server applies them itself at
// start (src/ledger/sqlite/migrate.ts). The PostgreSQL store has its own
// config beside this one (drizzle.postgres.config.ts) and folder.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/ledger/sqlite/schema.ts",
  out: "./drizzle/sqlite",
});
