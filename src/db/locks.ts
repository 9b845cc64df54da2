import { isUuid } from '../common/ids';
import { DomainError } from '../errors/domain-error';
import type { Queryable } from './database';
import { CustomerRepository } from '../modules/customer/customer.repository';

/**
 * Takes the customer's row lock for the rest of the transaction, so changes to one
 * customer's addresses or wishlist run one after another (defaults move without races)
 * while other customers proceed in parallel. FOR NO KEY UPDATE does not block foreign-key
 * checks from other tables. NOT_FOUND when there is no live customer.
 */
export async function lockCustomer(tx: Queryable, customerId: string): Promise<void> {
  if (!isUuid(customerId) || !(await lockLiveCustomer(tx, customerId))) throw DomainError.notFound('Customer');
}

/**
 * The customer's row lock when they are live, else false: for writes that must simply not
 * happen once the customer is erased (an erasure holds the row lock while it removes their
 * personal rows, and marks them deleted in the same transaction).
 */
export function lockLiveCustomer(tx: Queryable, customerId: string): Promise<boolean> {
  return customers.lockLiveId(tx, customerId);
}

const customers = new CustomerRepository();
