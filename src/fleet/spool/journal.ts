/**
 * The outcome spool's file: a plain checksummed append file, one per server
 * instance, PREALLOCATED when the instance starts.
 *
 * Why this and not an embedded store (SQLite, LMDB, a log-structured KV):
 * the spool is written exactly when storage is failing, and its commonest
 * failure is a full disk. Any store that allocates pages as it grows fails
 * then, on the same disk as a SQLite ledger. This file is written full of
 * zeros (and synced) once at start, so a record later goes into blocks the
 * file system has already given it: a positioned write and an fdatasync,
 * no allocation. (Copy-on-write file systems, btrfs and ZFS, allocate on
 * every overwrite; there a full disk can still refuse a record.) It is also
 * small enough to read whole and simple enough to recover by hand.
 *
 * Layout: records one after another from offset 0, each
 *   u32 LE payload length | u32 LE CRC-32 of the payload | payload (UTF-8 JSON)
 * and zeros after the last one (a length and checksum of 0 end the scan).
 * The first record is the journal's header (whose it is). A torn or corrupt
 * record (a crash mid-write, a damaged disk) fails its length or checksum
 * test: it is reported and skipped, and the scan carries on at the next
 * valid record, so nothing before it (or after it) is lost.
 *
 * When the preallocated space is used up the file grows by another chunk;
 * if the disk refuses that too, the record cannot be kept and append throws
 * (the caller then answers as if there were no spool).
 */
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import * as zlib from "node:zlib";

/** Written at start: room for a few thousand typical outcomes (an LLM result is a few KiB). */
export const JOURNAL_BYTES = 4 * 1024 * 1024;
const FRAME = 8;
const ZEROS = Buffer.alloc(1024 * 1024);

/** CRC-32 (IEEE), as zlib computes it; node:zlib has it from Node 20.15, a table does it before. */
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** CRC-32 by table, for Node versions before 20.15. */
export function tableCrc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const crc32: (data: Uint8Array) => number = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? tableCrc32;

/** A record as stored: its frame and payload. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.alloc(FRAME + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, FRAME);
  return out;
}

export interface JournalRecord {
  offset: number;
  payload: Buffer;
}

export interface JournalProblem {
  offset: number;
  why: string;
}

export interface JournalScan {
  records: JournalRecord[];
  /** Torn or corrupt records, skipped. */
  problems: JournalProblem[];
}

/** The record starting at `at`, if a whole, valid one does. */
function recordAt(buffer: Buffer, at: number): JournalRecord | null {
  const length = buffer.readUInt32LE(at);
  const end = at + FRAME + length;
  if (length === 0 || end > buffer.length) return null;
  const payload = buffer.subarray(at + FRAME, end);
  return crc32(payload) === buffer.readUInt32LE(at + 4) ? { offset: at, payload } : null;
}

const atEnd = (buffer: Buffer, at: number) => buffer.readUInt32LE(at) === 0 && buffer.readUInt32LE(at + 4) === 0;

/** Every valid record of a journal's bytes, in order, and what had to be skipped. */
export function scanJournal(buffer: Buffer): JournalScan {
  const records: JournalRecord[] = [];
  const problems: JournalProblem[] = [];
  let at = 0;
  while (at + FRAME <= buffer.length && !atEnd(buffer, at)) {
    const record = recordAt(buffer, at);
    if (record) {
      records.push(record);
      at += FRAME + record.payload.length;
      continue;
    }
    const length = buffer.readUInt32LE(at);
    problems.push({
      offset: at,
      why:
        at + FRAME + length > buffer.length
          ? `its length (${length} bytes) runs past the end of the file: a torn or corrupt record`
          : "its checksum does not match: a torn or corrupt record",
    });
    // Resynchronise on the next whole record, or the zeros after the last one (a JSON payload holds no zero bytes).
    for (at++; at + FRAME <= buffer.length && !atEnd(buffer, at) && !recordAt(buffer, at); at++);
  }
  return { records, problems };
}

/** Reads a journal file whole. */
export function readJournal(path: string): JournalScan {
  return scanJournal(readFileSync(path));
}

/** The first record of a journal (its header), reading only the start of the file; null if it is not whole. */
export function readJournalHead(path: string, maxBytes = 64 * 1024): Buffer | null {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(maxBytes);
    const read = readSync(fd, buffer, 0, maxBytes, 0);
    const head = buffer.subarray(0, read);
    return head.length >= FRAME ? (recordAt(head, 0)?.payload ?? null) : null;
  } finally {
    closeSync(fd);
  }
}

function writeFully(fd: number, data: Buffer, position: number): void {
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done, position + done);
}

function writeZeros(fd: number, position: number, length: number): void {
  for (let done = 0; done < length;) {
    const chunk = Math.min(ZEROS.length, length - done);
    writeFully(fd, ZEROS.subarray(0, chunk), position + done);
    done += chunk;
  }
}

/** Makes a directory entry durable (a new or renamed file); not every platform can open a directory. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; its file system journals the rename itself.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** An instance's own journal, open for appending. Every method is synchronous: an append is never interleaved with another or with a reset. */
export class Journal {
  private constructor(
    readonly path: string,
    private fd: number | null,
    private size: number,
    private end: number,
    private readonly firstEnd: number,
  ) {}

  /**
   * Creates the journal whole (zeros, then the header, synced) under a
   * temporary name and renames it into place, so a journal under its real
   * name always has its header.
   */
  static create(path: string, header: Buffer, bytes = JOURNAL_BYTES): Journal {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const scratch = `${path}.new`;
    const first = frame(header);
    const size = Math.max(bytes, first.length + FRAME);
    const fd = openSync(scratch, "w+", 0o600);
    try {
      writeZeros(fd, 0, size);
      writeFully(fd, first, 0);
      fsyncSync(fd);
      renameSync(scratch, path);
    } catch (error) {
      closeSync(fd);
      rmSync(scratch, { force: true });
      throw error;
    }
    syncDirectory(dirname(path));
    return new Journal(path, fd, size, first.length, first.length);
  }

  /** True when no record follows the header. */
  get empty(): boolean {
    return this.end === this.firstEnd;
  }

  /** Writes one record after the last and syncs it; throws (keeping nothing) when the disk refuses. */
  append(payload: Buffer): void {
    const fd = this.open();
    const record = frame(payload);
    if (this.end + record.length > this.size) this.grow(this.end + record.length - this.size);
    writeFully(fd, record, this.end);
    fdatasyncSync(fd);
    this.end += record.length;
  }

  /** Every record applied: zero them (one write, synced), and write from the start again. */
  reset(): void {
    if (this.empty) return;
    const fd = this.open();
    writeZeros(fd, this.firstEnd, this.end - this.firstEnd);
    fdatasyncSync(fd);
    this.end = this.firstEnd;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Closes and deletes the file (a clean shutdown with nothing pending). */
  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }

  private open(): number {
    if (this.fd === null) throw new Error(`the outcome journal ${this.path} is closed`);
    return this.fd;
  }

  /** The preallocated space is used up: add another chunk of zeros (this needs free space, which may be missing). */
  private grow(shortfall: number): void {
    const fd = this.open();
    const before = this.size;
    const add = Math.max(JOURNAL_BYTES, shortfall);
    try {
      writeZeros(fd, this.size, add);
      fsyncSync(fd);
      this.size += add;
    } catch (error) {
      // Part of the chunk may have been written before the disk filled up: those zeros are room too.
      this.size = fstatSync(fd).size;
      if (this.size - before < shortfall) throw error;
    }
  }
}
