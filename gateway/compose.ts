import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { ORDERS_SDL } from './orders-subgraph';

/** The repository root, from gateway/*.ts (tests) and from dist/gateway/*.js (built) alike. */
export const ROOT = [path.resolve(__dirname, '..'), path.resolve(__dirname, '../..')].find((dir) => fs.existsSync(path.join(dir, 'package.json')))!;

export const SUPERGRAPH_FILE = path.join(ROOT, 'gateway/supergraph.graphql');

export interface SubgraphUrls {
  customer: string;
  orders: string;
}

/**
 * Where the subgraphs are inside `docker compose`: the service names and ports of
 * docker-compose.yml. The committed gateway/supergraph.graphql (what the router runs) embeds
 * these; the local gateway composes the same subgraphs with its own URLs.
 */
export const COMPOSE_URLS: SubgraphUrls = {
  customer: 'http://customer:8003/graphql',
  orders: 'http://orders:4002/graphql',
};

/** schema/customer.graphql (the committed, tested customer SDL) + the demo orders SDL -> supergraph SDL. */
export function composeSupergraph(urls: SubgraphUrls): string {
  const customerSdl = fs.readFileSync(path.join(ROOT, 'schema/customer.graphql'), 'utf8');
  const result = composeServices([
    { name: 'customer', url: urls.customer, typeDefs: parse(customerSdl) },
    { name: 'orders', url: urls.orders, typeDefs: parse(ORDERS_SDL) },
  ]);
  if (result.errors?.length || !result.supergraphSdl) {
    throw new Error(`composition failed:\n${(result.errors ?? []).map((e) => `- ${e.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trimEnd()}\n`;
}

// `npm run supergraph`: rewrite gateway/supergraph.graphql (after schema:emit or an orders SDL change).
if (require.main === module) {
  fs.writeFileSync(SUPERGRAPH_FILE, composeSupergraph(COMPOSE_URLS));
  process.stdout.write(`wrote ${path.relative(process.cwd(), SUPERGRAPH_FILE)}\n`);
}
