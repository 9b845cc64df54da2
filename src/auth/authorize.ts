import { FIELD_RULES, FieldRule, RULES, undeclared, type Enforcement, type Rule, type Use } from './rules';
import type { Viewer } from './viewer';

/**
 * The declared rules (rules.ts) made into checks, once per process. Everything that enforces a
 * rule asks here by the field's schema coordinate: type-graphql's authChecker (authChecker.ts),
 * `_entities` (entities.ts) and the list shortcut (schema.ts), addresses attached to a list, and the
 * resolvers that check a rule about data they load. So a field answered without its resolver
 * still goes through its rule.
 */

/** Throws the rule's refusal; `root` is the parent value (or the representation), `args` the field's arguments. */
export type Guard = (viewer: Viewer, root: unknown, args: Record<string, unknown>) => void;

const NO_ARGS: Record<string, unknown> = Object.freeze({});

/** How a declared rule is enforced (see rules.ts, Enforcement). */
export function enforcementOf(coordinate: string, entry: FieldRule): Enforcement {
  if (coordinate.endsWith('.__resolveReference')) return 'reference';
  if (entry.rule === 'INHERIT') return 'inherit';
  if (RULES[entry.rule].kind === 'redact') return 'redact';
  return entry.rule === 'PUBLIC' ? 'none' : 'field';
}

function compile(coordinate: string, ruleName: keyof typeof RULES, entry: Pick<FieldRule, 'customerOf' | 'resource'>): Guard {
  const rule: Rule = RULES[ruleName];
  if (rule.kind !== 'refuse') throw new Error(`${coordinate}: ${ruleName} hides values, it refuses nothing`);
  const of = entry.customerOf;
  if (rule.needsCustomer && !of) throw new Error(`${coordinate}: ${ruleName} is about one customer's data: say whose (customerOf)`);
  const use: Use = { write: coordinate.startsWith('Mutation.'), resource: entry.resource ?? 'record' };
  if (!of) return (viewer) => rule.check(viewer, null, use);
  return (viewer, root, args) => rule.check(viewer, of.get(root, args, viewer), use);
}

/** The guard of each declared field; null where nothing is checked on the field itself (inherited, PUBLIC, redacted). */
const GUARDS = new Map<string, Guard | null>();
/** The further rule about loaded data (`then`), where one is declared. */
const THEN_GUARDS = new Map<string, Guard>();
for (const [coordinate, entry] of Object.entries(FIELD_RULES)) {
  const enforcement = enforcementOf(coordinate, entry);
  GUARDS.set(coordinate, enforcement === 'field' || enforcement === 'reference' ? compile(coordinate, entry.rule as keyof typeof RULES, entry) : null);
  if (entry.then) THEN_GUARDS.set(coordinate, compile(`${coordinate} (then)`, entry.then.rule, entry.then));
}

/** The field's guard, or null when its rule needs no check on the field itself. Throws for an undeclared field. */
export function guardOf(coordinate: string): Guard | null {
  const guard = GUARDS.get(coordinate);
  if (guard === undefined) throw new Error(`No authorization rule is declared for ${coordinate} (src/auth/rules.ts)`);
  return guard;
}

/** Enforces the field's declared rule; an undeclared field is refused (deny by default). */
export function authorize(coordinate: string, viewer: Viewer, root: unknown, args: Record<string, unknown> = NO_ARGS): void {
  const guard = GUARDS.get(coordinate);
  if (guard === undefined) throw undeclared(coordinate);
  if (guard !== null) guard(viewer, root, args);
}

/** Whether the field's rule lets the viewer through (the refusal itself is left to the field). */
export function allows(coordinate: string, viewer: Viewer, root: unknown, args: Record<string, unknown> = NO_ARGS): boolean {
  try {
    authorize(coordinate, viewer, root, args);
    return true;
  } catch {
    return false;
  }
}

/** Enforces the field's `then` rule about a row the resolver loaded (an address, for its owner). */
export function authorizeLoaded(coordinate: string, viewer: Viewer, loaded: unknown): void {
  const guard = THEN_GUARDS.get(coordinate);
  if (!guard) throw new Error(`No rule about loaded data is declared for ${coordinate} (src/auth/rules.ts)`);
  guard(viewer, loaded, NO_ARGS);
}

/** A redacting field's rule: whether the viewer sees the value of this record. */
export function sees(coordinate: string, viewer: Viewer, record: { actorId: string | null }): boolean {
  const entry = FIELD_RULES[coordinate];
  const rule: Rule | undefined = entry && entry.rule !== 'INHERIT' ? RULES[entry.rule] : undefined;
  if (rule?.kind !== 'redact') throw new Error(`${coordinate} declares no redacting rule (src/auth/rules.ts)`);
  return rule.sees(viewer, record);
}
