import type { GraphQLResolveInfo } from 'graphql';
import { allows } from '../../auth/authorize';
import { fieldsUnderAll } from '../../common/selection';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { addressProperties, type AddressRecord } from './address.record';

// Apart from address.resolver.ts: importing a resolver module from another one changes the order
// type-graphql registers fields in, and with it the emitted schema.

/** The Customer fields that read a customer's addresses (attached to a list, or through the loader). */
export const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['addresses', 'defaultShippingAddress', 'defaultBillingAddress']);

/**
 * Attaches their addresses to a list of customers (a page, `_entities`, `me`) when the operation
 * reads any address field: one statement for the list, as the field resolvers would send, but
 * the list's fields are then answered from the rows (schema.ts), without an async resolver
 * and a loader call per customer through type-graphql's wrapper.
 *
 * Authorization is the field's own: each customer's addresses are attached only when the rule of
 * `Customer.addresses` (src/auth/rules.ts) allows them to this viewer. Where it refuses, nothing
 * is attached, and the field, through its resolver, reports the refusal in its place.
 */
export async function attachAddresses(ctx: Context, info: GraphQLResolveInfo, customers: readonly CustomerRecord[]): Promise<void> {
  const fields = fieldsUnderAll(info, ADDRESS_FIELDS);
  if (fields.size === 0) return;
  const readable = customers.filter((c) => allows('Customer.addresses', ctx.viewer, c));
  if (readable.length === 0) return;
  let lists: (readonly AddressRecord[])[];
  try {
    lists = await ctx.loaders.addressesOf(
      readable.map((c) => c.id),
      addressProperties(fields),
    );
  } catch {
    // Nothing attached: each address field then asks its resolver (and loader), so a failed
    // look-up fails those fields only, never the customers or the fields that read no address.
    return;
  }
  readable.forEach((c, i) => (c.addresses = lists[i]));
}
