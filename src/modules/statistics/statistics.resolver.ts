import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context/context';
import type { CustomerRecord } from '../customer/customer.record';
import { Customer } from '../customer/customer.type';
import { toStatistics } from './statistics.record';
import { CustomerStatistics } from './statistics.type';

@Resolver(() => Customer)
export class CustomerStatisticsFieldResolver {
  /**
   * Whoever may read the customer: the rule the customer was admitted by where it entered the
   * response (src/auth/rules.ts). One loader: a page of customers costs one statement,
   * whatever its length.
   */
  @FieldResolver(() => CustomerStatistics)
  async statistics(@Root() c: CustomerRecord, @Ctx() ctx: Context): Promise<CustomerStatistics> {
    return toStatistics(await ctx.loaders.statisticsByCustomer.load(c.id), ctx.services.statistics.shopCurrency);
  }
}
