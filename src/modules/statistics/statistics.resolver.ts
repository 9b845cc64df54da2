import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { policy } from '../../auth/policy';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import { toStatistics } from './statistics.record';
import { CustomerStatistics } from './statistics.type';

@Resolver(() => Customer)
export class CustomerStatisticsFieldResolver {
  /**
   * Whoever may read the customer (the parent was authorized by its root field or
   * `_entities`; asked again here, cheaply). One loader: a page of customers costs one
   * statement, whatever its length.
   */
  @FieldResolver(() => CustomerStatistics)
  async statistics(@Root() c: CustomerRecord, @Ctx() ctx: Context): Promise<CustomerStatistics> {
    policy.requireReadCustomer(ctx.viewer, c.id);
    return toStatistics(await ctx.loaders.statisticsByCustomer.load(c.id), ctx.services.statistics.shopCurrency);
  }
}
