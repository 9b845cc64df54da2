import { getNamedType, GraphQLObjectType, GraphQLSchema, isObjectType, isUnionType, Kind } from 'graphql';
import { enforcementOf } from './authorize';
import { FIELD_RULES, FieldRule, RULES, TYPE_NOTES, type Enforcement } from './rules';

/**
 * The rule table against the schema: which coordinates must declare a rule, which declared ones
 * name nothing, and the table printed as schema/authorization-rules.md (`npm run schema:emit`;
 * test/authorization-rules.test.ts compares it with the committed file, so a change to who may
 * do what shows in review).
 */

const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'] as const;

/** Customer and every object type reachable from its fields, in the order they are reached. */
export function customerSubtree(schema: GraphQLSchema): GraphQLObjectType[] {
  const start = schema.getType('Customer') as GraphQLObjectType;
  const seen = new Set<GraphQLObjectType>([start]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const field of Object.values(queue[i].getFields())) {
      const type = getNamedType(field.type);
      if (isObjectType(type) && !seen.has(type)) {
        seen.add(type);
        queue.push(type);
      }
    }
  }
  return queue;
}

/** The entity types `_entities` resolves (not those whose every key is `resolvable: false`, which it refuses). */
function entityTypes(schema: GraphQLSchema): string[] {
  const entity = schema.getType('_Entity');
  if (!isUnionType(entity)) return [];
  const resolvable = (t: GraphQLObjectType): boolean =>
    (t.astNode?.directives ?? [])
      .filter((d) => d.name.value === 'key')
      .some((d) => !d.arguments?.some((a) => a.name.value === 'resolvable' && a.value.kind === Kind.BOOLEAN && !a.value.value));
  return entity
    .getTypes()
    .filter(resolvable)
    .map((t) => t.name);
}

function objectTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  return Object.values(schema.getTypeMap()).filter((t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__'));
}

/** Fields anywhere in the schema whose type is `type` (or a list of it): the ways an object of it enters a response. */
function entriesOf(schema: GraphQLSchema, type: GraphQLObjectType): string[] {
  return objectTypes(schema).flatMap((t) =>
    Object.values(t.getFields())
      .filter((f) => getNamedType(f.type) === type)
      .map((f) => `${t.name}.${f.name}`),
  );
}

/**
 * Every coordinate that must declare a rule: each root field and subscription, each entity
 * type's `__resolveReference`, each field of the Customer subtree, and each field anywhere that
 * leads into that subtree.
 */
export function requiredCoordinates(schema: GraphQLSchema): string[] {
  const subtree = customerSubtree(schema);
  const required = [
    ...ROOT_TYPES.flatMap((name) => {
      const type = schema.getType(name);
      return isObjectType(type) ? Object.keys(type.getFields()).map((f) => `${name}.${f}`) : [];
    }),
    ...entityTypes(schema).map((t) => `${t}.__resolveReference`),
    ...subtree.flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`)),
    ...subtree.flatMap((t) => entriesOf(schema, t)),
  ];
  return [...new Set(required)];
}

/** Required coordinates without a rule. */
export function missingRules(schema: GraphQLSchema, table: Record<string, FieldRule> = FIELD_RULES): string[] {
  return requiredCoordinates(schema).filter((c) => !Object.hasOwn(table, c));
}

/** Declared coordinates that name no field (or entity) of the schema: a renamed field leaves one behind. */
export function strayRules(schema: GraphQLSchema, table: Record<string, FieldRule> = FIELD_RULES): string[] {
  const required = new Set(requiredCoordinates(schema));
  return Object.keys(table).filter((c) => !required.has(c));
}

const WHERE: Record<Enforcement, string> = {
  field: 'authChecker',
  inherit: 'inherited',
  reference: '`_entities`, per representation',
  redact: 'field resolver (null)',
  none: '-',
};

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function row(coordinate: string, entry: FieldRule, name = coordinate): string {
  const notes = [entry.then ? `then ${entry.then.rule} about ${entry.then.customerOf.describe}, in ${entry.then.where}` : '', entry.note ?? ''].filter(Boolean);
  const rule = entry.rule === 'INHERIT' ? 'INHERIT' : `**${entry.rule}**`;
  return `| \`${name}\` | ${rule} | ${cell(entry.customerOf?.describe ?? '')} | ${WHERE[enforcementOf(coordinate, entry)]} | ${cell(notes.join('; '))} |`;
}

const HEADER = ['| field | rule | about whose data | enforced | also checked, notes |', '|---|---|---|---|---|'];

function ruleOf(coordinate: string): string {
  const entry = FIELD_RULES[coordinate];
  return entry ? entry.rule : 'NONE';
}

/** schema/authorization-rules.md. */
export function renderRuleTable(schema: GraphQLSchema): string {
  const out: string[] = [
    '# Who may do what',
    '',
    'Generated from [`src/auth/rules.ts`](../src/auth/rules.ts) by `npm run schema:emit`; `test/authorization-rules.test.ts`',
    'fails when this file differs from the code, and when a root field, subscription, entity type or',
    'Customer-subtree field has no rule. Do not edit it by hand.',
    '',
    '## Rules',
    '',
    'Each rule decides by asking [`src/auth/policy.ts`](../src/auth/policy.ts).',
    '',
    '| rule | who passes | everyone else |',
    '|---|---|---|',
    ...Object.entries(RULES).map(([name, rule]) => `| **${name}** | ${cell(rule.who)} | ${cell(rule.otherwise)} |`),
    "| INHERIT | whoever the field that returned the object admitted (its rule is listed under *enters through*) | that field's refusal |",
    '',
    'Enforced: **authChecker**: type-graphql runs the rule before the resolver (and before argument',
    'validation; a subscription when subscribing and for every event); **inherited**: nothing per',
    'field, the object was admitted where it entered the response, so plain fields cost nothing per',
    'row; **`__resolveReference`**: per representation of `_entities` (`FORBIDDEN` for that entity',
    'only, `null` for an unknown id); **field resolver (null)**: the value is `null` for whoever',
    'the rule does not let see it; **-**: PUBLIC, nothing to check. A root field without a rule is',
    'refused (`FORBIDDEN`), whatever it is.',
    '',
  ];
  for (const root of ROOT_TYPES) {
    const type = schema.getType(root);
    if (!isObjectType(type)) continue;
    out.push(`## ${root}`, '', ...HEADER);
    for (const field of Object.keys(type.getFields())) {
      const coordinate = `${root}.${field}`;
      out.push(FIELD_RULES[coordinate] ? row(coordinate, FIELD_RULES[coordinate]) : `| \`${coordinate}\` | NONE (refused) | | | |`);
    }
    out.push('');
  }
  out.push('## `_entities`, per representation', '', ...HEADER);
  for (const type of entityTypes(schema)) {
    const coordinate = `${type}.__resolveReference`;
    out.push(FIELD_RULES[coordinate] ? row(coordinate, FIELD_RULES[coordinate], type) : `| \`${type}\` | NONE | | | |`);
  }
  out.push('', '## The Customer subtree', '', 'Every object type reachable from `Customer`, with the fields through which its objects enter a response.', '');
  for (const type of customerSubtree(schema)) {
    const entries = entriesOf(schema, type).map((c) => `\`${c}\` ${ruleOf(c)}`);
    const note = TYPE_NOTES[type.name] ? ` ${TYPE_NOTES[type.name]}` : '';
    out.push(`### ${type.name}`, '', `Enters through: ${entries.join(', ')}.${note}`, '', ...HEADER);
    for (const field of Object.keys(type.getFields())) {
      const coordinate = `${type.name}.${field}`;
      out.push(FIELD_RULES[coordinate] ? row(coordinate, FIELD_RULES[coordinate], field) : `| \`${field}\` | NONE | | | |`);
    }
    out.push('');
  }
  const listed = new Set<string>([...ROOT_TYPES, ...customerSubtree(schema).map((t) => t.name)]);
  const others = Object.keys(FIELD_RULES).filter((c) => !listed.has(c.split('.')[0]) && !c.endsWith('.__resolveReference'));
  if (others.length) {
    out.push('## Other ways into the subtree', '', ...HEADER, ...others.map((c) => row(c, FIELD_RULES[c])), '');
  }
  return out.join('\n');
}
