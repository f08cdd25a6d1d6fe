/** Writing `--report` files: replace our own earlier report, never a file the user wrote (without --force). */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fail } from '../errors.js';
import { REPORT_GENERATOR, renderReport, type Report } from '../report/html.js';
import { writeNewFile } from './files.js';

/** True when `path` holds a report sparsecnn wrote (its generator tag in the first 1 KiB, all that is read). */
export function isOwnReport(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(1024);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString('utf8').includes(`<meta name="generator" content="${REPORT_GENERATOR}">`);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Checks a --report path before the work that fills it: .html, its folder exists, and no file the user wrote is in the way. */
export function checkReportPath(path: string, force = false): void {
  if (!path.toLowerCase().endsWith('.html')) fail('INVALID_ARGUMENT', `--report writes HTML: give a file name ending in .html, got '${path}'`);
  if (!existsSync(dirname(resolve(path)))) fail('NOT_FOUND', `--report: directory '${dirname(path)}' does not exist`);
  if (existsSync(path) && !force && !isOwnReport(path)) fail('EXISTS', `'${path}' exists and is not a sparsecnn report; pass --force to overwrite it`);
}

/**
 * Writes the report atomically; an existing file must be an earlier sparsecnn report unless `force`.
 * The first meta lines are always the date, machine and command line; `report.meta` adds to them.
 */
export function writeReport(path: string, report: Omit<Report, 'meta'> & { readonly meta?: readonly string[] }, force = false): void {
  checkReportPath(path, force);
  const meta = [
    `${new Date().toISOString()} · ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length} · Node ${process.version}`,
    `command: sparsecnn ${process.argv.slice(2).join(' ')}`,
    ...(report.meta ?? []),
  ];
  writeNewFile(path, renderReport({ ...report, meta }), true);
}
