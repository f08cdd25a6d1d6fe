import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fail } from '../errors.js';

/** Reads a whole file, turning "not there" and "a directory" into clear errors. */
export function readBytes(path: string, what: string): Uint8Array {
  if (!existsSync(path)) fail('NOT_FOUND', `${what} '${path}' does not exist`);
  if (statSync(path).isDirectory()) fail('INVALID_ARGUMENT', `${what} '${path}' is a directory, not a file`);
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The checks writeNewFile makes before writing: the file is new (or `force`) and its directory
 * exists. Verbs call it up front so a refusal comes before minutes of work, not after.
 */
export function checkNewFile(path: string, force = false): void {
  if (existsSync(path) && !force) fail('EXISTS', `'${path}' already exists; pass --force to overwrite it`);
  const dir = dirname(path);
  if (!existsSync(dir)) fail('NOT_FOUND', `directory '${dir}' does not exist`);
}

/**
 * Writes atomically (temp file + rename) and never replaces an existing file unless `force`:
 * nothing a user wrote is overwritten without asking.
 */
export function writeNewFile(path: string, bytes: Uint8Array | string, force = false): void {
  checkNewFile(path, force);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}
