// @ts-check
/** The PostgreSQL server a section measures: an embedded one it starts, or ECN_TEST_DATABASE_URL's. */
import { startEmbeddedPostgres } from "../../test/helpers/embedded-postgres.mjs";
import { postmasterPid } from "./proc.mjs";

/**
 * Starts an embedded server unless ECN_TEST_DATABASE_URL names one. `postmaster` is set only for
 * the embedded server: a shared server's processes also serve other users, so its CPU is not ours to count.
 */
export async function postgresServer() {
  const shared = process.env.ECN_TEST_DATABASE_URL;
  const embedded = shared ? null : await startEmbeddedPostgres();
  const url = shared ?? /** @type {NonNullable<typeof embedded>} */ (embedded).url;
  return {
    url,
    embedded: embedded !== null,
    postmaster: embedded ? await postmasterPid(url) : null,
    stop: async () => {
      await embedded?.stop();
    },
  };
}

/**
 * A fresh database on the server, as a URL.
 * @param {string} serverUrl
 * @param {string} name
 */
export async function freshDatabase(serverUrl, name) {
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
