import fs from 'node:fs';
import path from 'node:path';

// The source imports no module that (through others) imports it back, type imports included:
// a cycle makes load order matter and one layer depend on every other.

const SRC = path.resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of a file, resolved to files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g), ...text.matchAll(/require\('(\.[^']+)'\)/g)].map((m) => m[1]);
  return specs.map((s) => {
    const base = path.resolve(path.dirname(file), s);
    return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f)) ?? `${base}.ts`;
  });
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      const cycle = visit(g);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return null;
}

it('src/ has no import cycle', () => {
  const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]));
  expect(graph.size).toBeGreaterThan(100);
  expect(findCycle(graph)?.map((f) => path.relative(SRC, f))).toBeUndefined();
});

it('the check finds a cycle when there is one', () => {
  expect(
    findCycle(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
      ]),
    ),
  ).toEqual(['a', 'b', 'c', 'a']);
});
