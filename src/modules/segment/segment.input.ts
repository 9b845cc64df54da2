import { IsDefined, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { SegmentField, SegmentOperator } from '../../common/enums';
import { JSONScalar } from '../../common/scalars';

@InputType()
export class SegmentRuleInput {
  @Field(() => SegmentField) field!: SegmentField;
  @Field(() => SegmentOperator) operator!: SegmentOperator;
  @Field(() => JSONScalar) @IsDefined() value!: unknown;
  @Field(() => Int, { nullable: true, defaultValue: 1 }) @IsOptional() weight?: number | null;
}

@InputType()
export class SegmentInput {
  @Field() @MaxLength(100) name!: string;
  // The column's VARCHAR(500): refused here, naming the field, rather than by the database.
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(500) description?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true }) @IsOptional() isActive?: boolean | null;
  @Field(() => [SegmentRuleInput]) @ValidateNested({ each: true }) rules!: SegmentRuleInput[];
  @Field(() => Int, { nullable: true, defaultValue: 1 }) @IsOptional() minScore?: number | null;
}
