import type { GraphQLResolveInfo } from 'graphql';
import { policy } from '../../auth/policy';
import { fieldsUnderAll } from '../../common/selection';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { addressProperties } from './address.record';

// Apart from address.resolver.ts: importing a resolver module from another one changes the order
// type-graphql registers fields in, and with it the emitted schema.

/** The Customer fields that read addresses through the one loader. */
export const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['addresses', 'defaultShippingAddress', 'defaultBillingAddress']);

/**
 * Attaches their addresses to a list of customers (a page, `_entities`, `me`) when the operation
 * reads any address field: one statement for the list, as the field resolvers would send, but
 * the list's fields are then answered from the rows (schema.ts), without an async resolver,
 * a loader call and a policy check per customer through type-graphql's wrapper.
 *
 * Authorization is the field's own: each customer's addresses are attached only when
 * `requireOwnedResource` allows them to this viewer. Where it refuses, nothing is attached, and
 * the field resolver asks the policy again and reports the refusal in its place, as before.
 */
export async function attachAddresses(ctx: Context, info: GraphQLResolveInfo, customers: readonly CustomerRecord[]): Promise<void> {
  const fields = fieldsUnderAll(info, ADDRESS_FIELDS);
  if (fields.size === 0) return;
  const readable = customers.filter((c) => mayReadAddresses(ctx, c.id));
  if (readable.length === 0) return;
  const lists = await ctx.loaders.addressesByCustomer(addressProperties(fields)).loadMany(readable.map((c) => c.id));
  readable.forEach((c, i) => {
    const list = lists[i];
    if (!(list instanceof Error)) c.addresses = list;
  });
}

/** The policy's decision as a boolean (the rule stays in one place: policy.requireOwnedResource). */
function mayReadAddresses(ctx: Context, customerId: string): boolean {
  try {
    policy.requireOwnedResource(ctx.viewer, customerId, 'Address');
    return true;
  } catch {
    return false;
  }
}
