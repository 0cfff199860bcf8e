/** Exit codes: what a script or service manager can tell apart. */
export const EXIT = { ok: 0, refused: 1, config: 2, loss: 3, ledger: 4, costGap: 5, internal: 70 } as const;
