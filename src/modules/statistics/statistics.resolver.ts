import { FieldResolver, Resolver } from 'type-graphql';
import { DomainError } from '../../errors/domain-error';
import { Customer } from '../customer/customer.type';
import { CustomerStatistics } from './statistics.type';

// Contract stub for a later milestone: answers NOT_IMPLEMENTED, never fake data.

@Resolver(() => Customer)
export class CustomerStatisticsFieldResolver {
  @FieldResolver(() => CustomerStatistics)
  async statistics(): Promise<CustomerStatistics> {
    throw DomainError.notImplemented('Customer.statistics');
  }
}
