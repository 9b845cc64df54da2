// Fixes a bug of graphql-jit 0.8.9 (src/execution.ts, compileListType) until it is fixed
// upstream: a list item whose promise rejects is *pushed* as null at the end of the list instead
// of being set at its index, so when items settle out of order (a refused `_entities`
// representation fails at once, the others after their look-up) the list comes back reordered
// or one item short. Run by `postinstall`; idempotent; fails the install if the code it fixes is
// not found, so an upgrade of graphql-jit is checked again (drop this script once it is fixed).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const require = createRequire(import.meta.url);

const BUGGY = 'resultArray.push(null);';
const FIXED = 'resultArray[idx${newDepth}] = null;';

let dir;
try {
  dir = path.dirname(require.resolve('graphql-jit/package.json'));
} catch {
  process.exit(0); // not installed (nothing to patch)
}
for (const file of ['dist/execution.js', 'dist/execution.mjs']) {
  const p = path.join(dir, file);
  const source = fs.readFileSync(p, 'utf8');
  if (source.includes(FIXED)) continue;
  if (!source.includes(BUGGY)) throw new Error(`patch-graphql-jit: ${file} has changed; check whether the list-item bug is fixed and update this script`);
  fs.writeFileSync(p, source.replace(BUGGY, FIXED));
}
