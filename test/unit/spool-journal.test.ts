/**
 * The outcome spool's file, on a real file: records come back whole and in
 * order; a torn or corrupt record is found by its length or checksum and
 * skipped, with its offset, and nothing before (or after) it is lost; a
 * replayed journal resets; a journal that outgrows its preallocated space
 * grows; outcomes round-trip with their amounts exact.
 */
import { closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { crc32, Journal, readJournal, scanJournal, tableCrc32 } from "../../src/fleet/spool/journal.js";
import { journalOutcomes } from "../../src/fleet/spool/outcomes.js";
import { decodeHeader, decodeOutcome, encodeHeader, encodeOutcome, type JournalHeader } from "../../src/fleet/spool/records.js";
import type { SpooledOutcome } from "../../src/metering/types.js";
import { tempDir } from "../helpers/temp-ledger.js";

const HEADER: JournalHeader = { instance: "in_test", host: "h", pid: 1, pidScope: null, pidStart: null, ledger: "sqlite:/x.db", createdAt: 1 };

const ref = (n: number): SpooledOutcome => ({ kind: "ref", callId: `tc_${n}`, ref: `gen-${n}` });

function journalWith(count: number, bytes?: number): { journal: Journal; path: string } {
  const path = join(tempDir(), "spool", "in_test.journal");
  const journal = Journal.create(path, encodeHeader(HEADER), bytes);
  for (let n = 1; n <= count; n++) journal.append(encodeOutcome(ref(n)));
  return { journal, path };
}

/** Overwrites bytes of the file in place, as a crash or a bad disk would. */
function damage(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

const refsOf = (path: string) =>
  readJournal(path)
    .records.slice(1)
    .map((r) => decodeOutcome(r.payload));

describe("the outcome journal", () => {
  it("is preallocated whole at creation, header first, and gives its records back in order", () => {
    const { path } = journalWith(3);
    expect(statSync(path).size).toBe(4 * 1024 * 1024);
    const scan = readJournal(path);
    expect(scan.problems).toEqual([]);
    expect(decodeHeader(scan.records[0]!.payload)).toEqual(HEADER);
    expect(refsOf(path)).toEqual([ref(1), ref(2), ref(3)]);
  });

  it("skips a torn last record (its end never written) with its offset; nothing before it is lost", () => {
    const { path } = journalWith(5);
    const last = readJournal(path).records.at(-1)!;
    damage(path, last.offset + 8 + last.payload.length - 6, Buffer.alloc(6));
    const scan = readJournal(path);
    expect(scan.problems).toEqual([{ offset: last.offset, why: expect.stringMatching(/checksum does not match/) as unknown }]);
    expect(refsOf(path)).toEqual([ref(1), ref(2), ref(3), ref(4)]);
  });

  it("skips a record whose length was torn, and one corrupted in the middle, keeping those after it", () => {
    const { path } = journalWith(5);
    const records = readJournal(path).records;
    damage(path, records[2]!.offset + 8 + 3, Buffer.from("X")); // a flipped byte in record 2's payload
    const last = records.at(-1)!;
    damage(path, last.offset, Buffer.from([0xff, 0xff, 0xff, 0x7f])); // a length past the end of the file
    const scan = readJournal(path);
    expect(scan.problems.map((p) => p.offset)).toEqual([records[2]!.offset, last.offset]);
    expect(scan.problems[1]!.why).toMatch(/runs past the end of the file/);
    expect(refsOf(path)).toEqual([ref(1), ref(3), ref(4)]);
  });

  it("logs each skipped record with the journal's name and the record's offset when read back for replay", () => {
    const { path } = journalWith(2);
    const last = readJournal(path).records.at(-1)!;
    damage(path, last.offset + 8, Buffer.from("}"));
    const warnings: [string, Record<string, unknown>][] = [];
    const logger = { ...silentLogger, warn: (message: string, fields: Record<string, unknown> = {}) => void warnings.push([message, fields]) };
    expect(journalOutcomes(path, logger)).toEqual([ref(1)]);
    expect(warnings).toEqual([
      ["outcome spool: a torn or corrupt record was skipped", expect.objectContaining({ journal: path, offset: last.offset }) as unknown],
    ]);
  });

  it("resets once replayed: the records are zeroed and the next ones start after the header", () => {
    const { journal, path } = journalWith(3);
    journal.reset();
    expect(journal.empty).toBe(true);
    expect(refsOf(path)).toEqual([]);
    journal.append(encodeOutcome(ref(9)));
    expect(refsOf(path)).toEqual([ref(9)]);
    expect(statSync(path).size).toBe(4 * 1024 * 1024);
  });

  it("grows when its preallocated space is used up, and keeps every record", () => {
    const { path } = journalWith(100, 1_024);
    expect(statSync(path).size).toBeGreaterThan(1_024);
    expect(refsOf(path)).toEqual(Array.from({ length: 100 }, (_, i) => ref(i + 1)));
  });

  it("round-trips a settle with its amounts exact and its original timestamps", () => {
    const settle: SpooledOutcome = {
      kind: "settle",
      callId: "tc_1",
      now: 1_700_000_000_123,
      result: { resultJson: '{"text":"hi"}' },
      events: [
        {
          provider: "openrouter",
          model: "openai/gpt-4o-mini",
          providerRequestId: "gen-1",
          outcome: "ok",
          promptTokens: 10,
          completionTokens: 20,
          totalTokens: 30,
          costNanoUsd: 123_456_789_012_345_678n,
          costSource: "reported",
          markup: "1.25",
          creditUsdValue: "0.01",
          chargedMicroCredits: 15_432_098_765_432_099n,
          meteredMicroCredits: 15_432_098_765_432_099n,
          estimated: false,
          priceUnknown: false,
          createdAt: 1_700_000_000_001,
        },
      ],
    };
    expect(decodeOutcome(encodeOutcome(settle))).toEqual(settle);
    expect(decodeOutcome(Buffer.from('{"k":"settle","call":"tc_1"}'))).toBeNull();
  });

  it("checksums with CRC-32 as zlib computes it (its own table where zlib has none)", () => {
    const data = readFileSync(import.meta.filename);
    const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (native) expect(tableCrc32(data)).toBe(native(data));
    expect(tableCrc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(scanJournal(Buffer.alloc(64)).records).toEqual([]);
  });
});
