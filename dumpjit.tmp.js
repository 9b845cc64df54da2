require('/work/main/node_modules/reflect-metadata');
const { buildCustomerSchema } = require('/work/main/dist/src/schema');
const { compileQuery } = require('/work/main/node_modules/graphql-jit');
const { parse } = require('/work/main/node_modules/graphql');
const { schema } = buildCustomerSchema();
const q = process.argv[2];
const c = compileQuery(schema, parse(q), undefined, { debug: true });
console.log(c.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation || c.query.toString());
