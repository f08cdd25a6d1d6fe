/** Writing `--report` files: replace our own earlier report, never a file the user wrote (without --force). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fail } from '../errors.js';
import { REPORT_GENERATOR, renderReport, type Report } from '../report/html.js';
import { writeNewFile } from './files.js';

/** True when `path` holds a report sparsecnn wrote (its generator tag in the first 1 KiB). */
export function isOwnReport(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').slice(0, 1024).includes(`<meta name="generator" content="${REPORT_GENERATOR}">`);
  } catch {
    return false;
  }
}

/** Checks a --report path before the work that fills it: .html, its folder exists, and no file the user wrote is in the way. */
export function checkReportPath(path: string, force = false): void {
  if (!path.toLowerCase().endsWith('.html')) fail('INVALID_ARGUMENT', `--report writes HTML: give a file name ending in .html, got '${path}'`);
  if (!existsSync(dirname(resolve(path)))) fail('NOT_FOUND', `--report: directory '${dirname(path)}' does not exist`);
  if (existsSync(path) && !force && !isOwnReport(path)) fail('EXISTS', `'${path}' exists and is not a sparsecnn report; pass --force to overwrite it`);
}

/** Writes the report atomically; an existing file must be an earlier sparsecnn report unless `force`. */
export function writeReport(path: string, report: Report, force = false): void {
  checkReportPath(path, force);
  writeNewFile(path, renderReport(report), true);
}
