import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { selectedFields } from '../../common/selection';
import { CustomerStatus } from '../../common/enums';
import type { Context } from '../../context/context';
import { attachAddresses } from '../address/address.attach';
import { CustomerGroup } from '../group/group.type';
import type { CustomerRecord } from './customer.record';
import { customerKey } from './customer.loader';
import { CreateCustomerInput, CustomerFilter, CustomerOrder, UpdateCustomerInput } from './customer.input';
import { CustomerConnection } from './customer-connection.type';
import { Customer } from './customer.type';

const EMAIL_ONLY: ReadonlySet<string> = new Set(['email']);

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'The signed-in customer; null when the request carries no customer token.' })
  async me(@Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<CustomerRecord | null> {
    if (ctx.viewer.kind !== 'customer') return null;
    const me = await ctx.loaders.customerById.load(customerKey(ctx.viewer.customerId, selectedFields(info)));
    if (me) await attachAddresses(ctx, info, [me]);
    return me;
  }

  @Query(() => Customer, { nullable: true, description: 'OWNER or ADMIN/SERVICE; null when no live customer has this id.' })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<CustomerRecord | null> {
    return ctx.loaders.customerById.load(customerKey(id, selectedFields(info)));
  }

  @Query(() => Customer, { nullable: true, description: 'ADMIN/SERVICE.' })
  customerByEmail(@Arg('email') email: string, @Ctx() ctx: Context): Promise<CustomerRecord | null> {
    return ctx.services.customers.findByEmail(email);
  }

  @Query(() => CustomerConnection, { description: 'ADMIN. Keyset (cursor) pagination; first is capped at 100.' })
  async customers(
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => CustomerFilter, { nullable: true }) filter?: CustomerFilter | null,
    @Arg('orderBy', () => CustomerOrder, { nullable: true }) orderBy?: CustomerOrder | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    const fields = selectedFields(info, ['edges', 'node'], ['nodes']);
    // Join what the page asks for into the list statement itself: one round trip, no loader promises per row.
    const include = {
      group: fields.has('group') ? selectedFields(info, ['edges', 'node', 'group'], ['nodes', 'group']) : undefined,
      preferences: fields.has('preferences') ? selectedFields(info, ['edges', 'node', 'preferences'], ['nodes', 'preferences']) : undefined,
    };
    const page = await ctx.services.customers.list(filter, orderBy, first, after, fields, include);
    // Then the addresses of the whole page in one statement, when asked for (a page's second statement).
    await attachAddresses(ctx, info, page.nodes);
    return page;
  }

  @Mutation(() => Customer, { description: 'ADMIN/SERVICE: back-office creation and imports (no password).' })
  createCustomer(@Arg('input', () => CreateCustomerInput) input: CreateCustomerInput, @Ctx() ctx: Context): Promise<CustomerRecord> {
    return ctx.services.customers.create(input, ctx);
  }

  @Mutation(() => Customer)
  async updateCustomer(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateCustomerInput) input: UpdateCustomerInput,
    @Ctx() ctx: Context,
  ): Promise<CustomerRecord> {
    const { currentPassword, twoFactorCode, ...change } = input;
    // A customer moving their account to another address proves it is them, as for erasure:
    // with a stolen session alone, the address, and then a password reset sent to it, would
    // hand the account over for good.
    if (ctx.viewer.kind === 'customer' && change.email != null) {
      const current = await ctx.loaders.customerById.load(customerKey(id, EMAIL_ONLY));
      if (current && current.email !== change.email) {
        await ctx.services.accounts.confirmIdentity(id, currentPassword, twoFactorCode, ctx, { field: 'input.currentPassword' });
      }
    }
    return ctx.services.customers.update(id, change, ctx);
  }

  @Mutation(() => Customer, { description: 'ADMIN.' })
  setCustomerStatus(
    @Arg('id', () => ID) id: string,
    @Arg('status', () => CustomerStatus) status: CustomerStatus,
    @Ctx() ctx: Context,
  ): Promise<CustomerRecord> {
    return ctx.services.customers.setStatus(id, status, ctx);
  }

  @Mutation(() => Customer, { description: 'ADMIN. Null groupId moves the customer to the default group.' })
  assignCustomerGroup(
    @Arg('customerId', () => ID) customerId: string,
    @Ctx() ctx: Context,
    @Arg('groupId', () => ID, { nullable: true }) groupId?: string | null,
  ): Promise<CustomerRecord> {
    return ctx.services.customers.assignGroup(customerId, groupId, ctx);
  }

  @FieldResolver(() => String, { description: 'First and last name, or the part of the email before @ when both are empty.' })
  displayName(@Root() c: CustomerRecord): string {
    const name = [c.firstName, c.lastName].filter(Boolean).join(' ');
    return name || c.email.split('@')[0];
  }

  @FieldResolver(() => CustomerGroup, { nullable: true })
  group(@Root() c: CustomerRecord, @Ctx() ctx: Context) {
    if (c.group !== undefined) return c.group;
    return c.groupId ? ctx.loaders.groupById.load(c.groupId) : null;
  }
}

@Resolver(() => CustomerConnection)
export class CustomerConnectionResolver {
  @FieldResolver(() => Int)
  totalCount(@Root() page: CustomerConnection): Promise<number> {
    return page.countTotal();
  }
}
