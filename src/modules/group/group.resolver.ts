import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context/context';
import type { GroupRecord } from './group.record';
import { CustomerGroupInput } from './group.input';
import { CustomerGroup } from './group.type';

@Resolver(() => CustomerGroup)
export class GroupResolver {
  @Query(() => [CustomerGroup], { description: 'ADMIN.' })
  customerGroups(@Ctx() ctx: Context): Promise<GroupRecord[]> {
    return ctx.services.groups.list();
  }

  @Mutation(() => CustomerGroup)
  createCustomerGroup(@Arg('input', () => CustomerGroupInput) input: CustomerGroupInput, @Ctx() ctx: Context) {
    return ctx.services.groups.create(input, ctx);
  }

  @Mutation(() => CustomerGroup)
  updateCustomerGroup(@Arg('id', () => ID) id: string, @Arg('input', () => CustomerGroupInput) input: CustomerGroupInput, @Ctx() ctx: Context) {
    return ctx.services.groups.update(id, input, ctx);
  }

  @Mutation(() => Boolean)
  deleteCustomerGroup(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.groups.delete(id, ctx);
  }

  /** Group names are not personal, but member counts are business data: staff only (src/auth/rules.ts). */
  @FieldResolver(() => Int)
  customerCount(@Root() g: GroupRecord, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.groupMemberCount.load(g.id);
  }
}
