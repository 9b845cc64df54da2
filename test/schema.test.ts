import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import * as addPlugin from '@graphql-codegen/add';
import { codegen } from '@graphql-codegen/core';
import type { Types } from '@graphql-codegen/plugin-helpers';
import * as typescriptPlugin from '@graphql-codegen/typescript';
import { parse as parseYaml } from 'yaml';
import { buildSchema, lexicographicSortSchema, parse } from 'graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { ORDERS_SDL } from '../gateway/orders-subgraph';
import { buildCustomerSchema } from '../src/schema';
import { contractGaps } from './helpers/contract';
import { startTestServer } from './helpers/server';

const root = path.resolve(__dirname, '..');
const committed = fs.readFileSync(path.join(root, 'schema/customer.graphql'), 'utf8');
const vendoredContract = fs.readFileSync(path.join(root, 'test/fixtures/contract.graphql'), 'utf8');
const sharedContract = path.join(root, '../shared/contract/customer.graphql');

describe('schema', () => {
  const { sdl } = buildCustomerSchema();

  it('matches the committed schema/customer.graphql (run `npm run schema:emit` after changing types)', () => {
    expect(sdl).toBe(committed);
  });

  it('contains the whole public contract: every type, field, argument, default and enum value', () => {
    expect(contractGaps(vendoredContract, sdl)).toEqual([]);
  });

  it('test/generated/schema-types.ts is what `npm run codegen` makes of the committed schema', async () => {
    // codegen.yml's plugins and config, run through @graphql-codegen/core (the CLI is ESM-only under Jest).
    const { schema, generates } = parseYaml(fs.readFileSync(path.join(root, 'codegen.yml'), 'utf8'));
    const [[filename, target]] = Object.entries(generates) as [string, { plugins: Record<string, unknown>[] | string[]; config: Record<string, unknown> }][];
    const plugins = target.plugins.map((p) => (typeof p === 'string' ? { [p]: {} } : p)) as Types.ConfiguredPlugin[];
    const content = await codegen({
      filename,
      // The CLI loads the schema sorted (its `sort` option, on by default).
      schema: parse(
        printSchemaWithDirectives(lexicographicSortSchema(buildSchema(fs.readFileSync(path.join(root, schema), 'utf8'), { assumeValidSDL: true }))),
      ),
      documents: [],
      config: target.config,
      plugins,
      pluginMap: { add: addPlugin, typescript: typescriptPlugin },
    });
    expect(fs.readFileSync(path.join(root, filename), 'utf8')).toBe(content);
  });

  it('uses a vendored contract identical to the shared one, when the shared one is present', () => {
    if (!fs.existsSync(sharedContract)) return; // a clone without ../shared: the vendored copy is all we have
    expect(vendoredContract).toBe(fs.readFileSync(sharedContract, 'utf8'));
  });

  it('the contract check itself notices a removed field and a changed nullability', () => {
    const broken = sdl.replace(/\n {2}displayName: String!\n/, '\n').replace('customerType: CustomerType!', 'customerType: CustomerType');
    expect(contractGaps(vendoredContract, broken)).toEqual(
      expect.arrayContaining(['missing field Customer.displayName', 'Customer.customerType: CustomerType instead of CustomerType!']),
    );
  });

  // The orders subgraph is gateway/'s demo (test/gateway.test.ts runs it behind a gateway).
  it('composes into a supergraph with an orders subgraph that extends Customer with @requires(email)', () => {
    const result = composeServices([
      { name: 'customer', url: 'http://customer/graphql', typeDefs: parse(sdl) },
      { name: 'orders', url: 'http://orders/graphql', typeDefs: parse(ORDERS_SDL) },
    ]);
    expect(result.errors?.map((e) => e.message) ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain('orders: [Order!]!');
  });

  it('serves _service { sdl } with the federation @link and the entity keys', async () => {
    const server = await startTestServer();
    try {
      const res = await server.gql('{ _service { sdl } }');
      const served = res.data!._service.sdl as string;
      expect(served).toContain('@link(url: "https://specs.apollo.dev/federation/v2.7"');
      for (const type of ['Customer', 'CustomerAddress', 'CustomerGroup', 'CustomerSegment']) {
        expect(served).toMatch(new RegExp(`type ${type}\\s+@key\\(fields: "id"\\)`));
      }
      expect(served).toMatch(/type Product\s+@key\(fields: "id", resolvable: false\)/);
    } finally {
      await server.close();
    }
  });
});
