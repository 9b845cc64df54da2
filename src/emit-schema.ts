import fs from 'node:fs';
import path from 'node:path';
import { buildCustomerSchema } from './schema';

/** `npm run schema:emit`: writes the subgraph SDL that the schema test compares with the code. */
export const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema', 'customer.graphql');

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, buildCustomerSchema().sdl);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
