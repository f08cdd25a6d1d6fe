import type { Command } from 'commander';
import { ZOO } from '../zoo/index.js';
import { findModelFile } from '../node/paths.js';
import { action, Output, table } from './common.js';

export function register(program: Command): void {
  program
    .command('zoo')
    .description('list the built-in models and where their weights come from')
    .option('--json', 'print {models:[{name, dataset, pretrained, weights, description}]}')
    .action(action((opts: { json?: boolean }) => {
      const out = new Output(opts);
      const models = [...ZOO.values()].map((e) => {
        const file = e.pretrained === undefined ? undefined : findModelFile(e.pretrained);
        return { name: e.name, dataset: e.dataset, pretrained: e.pretrained ?? null, weights: file ?? (e.pretrained ? 'missing: random' : 'random (seeded)'), description: e.description };
      });
      out.result({ models });
      out.line(table([['name', 'dataset', 'weights', 'description'], ...models.map((m) => [m.name, m.dataset, m.weights, m.description])], ['l', 'l', 'l', 'l']));
    }));
}
