import { Arg, ID, Mutation, Resolver } from 'type-graphql';
import { JSONScalar } from '../../common/scalars';
import { DomainError } from '../../errors/domain-error';
import { DeletionReceipt } from './gdpr.type';

// Contract stubs for a later milestone: each answers NOT_IMPLEMENTED, never fake data.

@Resolver()
export class GdprResolver {
  @Mutation(() => DeletionReceipt, {
    description: 'GDPR erasure: OWNER or ADMIN. Personal data is anonymised, never recoverable.',
  })
  async deleteCustomer(@Arg('id', () => ID) _id: string): Promise<DeletionReceipt> {
    throw DomainError.notImplemented('deleteCustomer');
  }

  @Mutation(() => JSONScalar, { description: 'GDPR portability: OWNER or ADMIN. Every record held about the customer.' })
  async exportCustomerData(@Arg('id', () => ID) _id: string): Promise<Record<string, unknown>> {
    throw DomainError.notImplemented('exportCustomerData');
  }
}
