/**
 * Command-line parsing for the bench/ and experiments/ scripts: node's parseArgs (strict, so a
 * mistyped option stops the run instead of silently training or timing with a default), plus
 * `--help` / `-h`, which prints the script's own header comment: the usage lives in one place.
 *
 *   const { values, positionals } = scriptArgs(import.meta.url, { options: { … } });
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The leading comment of a script (a `/** … *\/` block or a run of `//` lines), without its markers. */
export function headerComment(source) {
  const lines = source.split('\n');
  let i = lines[0]?.startsWith('#!') ? 1 : 0;
  const out = [];
  if (lines[i]?.trimStart().startsWith('/**')) {
    for (i++; i < lines.length && !lines[i].trimStart().startsWith('*/'); i++) out.push(lines[i].replace(/^\s*\* ?/, ''));
  } else {
    for (; i < lines.length && lines[i].trimStart().startsWith('//'); i++) out.push(lines[i].replace(/^\s*\/\/ ?/, ''));
  }
  return out.join('\n').trim();
}

/**
 * parseArgs over process.argv with `help` added. `--help` prints the header comment of the script at
 * `url` and exits 0; an unknown option, a missing value or a stray positional prints what was wrong and
 * exits 2.
 */
export function scriptArgs(url, config) {
  const file = fileURLToPath(url);
  const name = basename(file);
  let parsed;
  try {
    parsed = parseArgs({ ...config, options: { ...config.options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    if (typeof e?.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${name}: ${e.message}\nsee: node ${file} --help\n`);
      process.exit(2);
    }
    throw e;
  }
  if (parsed.values.help) {
    process.stdout.write(`${headerComment(readFileSync(file, 'utf8'))}\n`);
    process.exit(0);
  }
  return parsed;
}
