import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../common/scalars';

@ObjectType({ simpleResolvers: true, description: 'Owned by the catalogue subgraph; this subgraph only refers to it.' })
@Directive('@key(fields: "id", resolvable: false)')
export class Product {
  @Field(() => ID) id!: string;
}

@ObjectType({ simpleResolvers: true })
export class WishlistItem {
  @Field(() => ID) id!: string;
  @Field(() => Product) product!: Product;
  @Field(() => DateTimeScalar) addedAt!: Date;
}
