import fs from 'node:fs';
import path from 'node:path';
import { renderRuleTable } from './auth/rules-doc';
import { buildCustomerSchema } from './schema';

/**
 * `npm run schema:emit`: writes the subgraph SDL and the authorization rule table, which the
 * schema tests compare with the code.
 */
export const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema', 'customer.graphql');
export const RULES_FILE = path.resolve(__dirname, '..', '..', 'schema', 'authorization-rules.md');

if (require.main === module) {
  const { sdl, schema } = buildCustomerSchema();
  fs.writeFileSync(SCHEMA_FILE, sdl);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  fs.writeFileSync(RULES_FILE, renderRuleTable(schema));
  process.stdout.write(`wrote ${RULES_FILE}\n`);
}
