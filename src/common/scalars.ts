import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

/** DateTime and JSON come from graphql-scalars: ISO-8601 in UTC out, any offset in. */
export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date as a 'YYYY-MM-DD' string, so no time zone can shift it by a day. */
export function parseCalendarDate(value: unknown): string {
  if (typeof value !== 'string') throw new GraphQLError('Date must be a string YYYY-MM-DD');
  const m = DATE.exec(value);
  if (m) {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    if (d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3]) return value;
  }
  throw new GraphQLError(`Date must be a valid calendar date YYYY-MM-DD, got "${value.slice(0, 40)}"`);
}

export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'Calendar date, YYYY-MM-DD.',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : parseCalendarDate(value)),
  parseValue: parseCalendarDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Date must be a string YYYY-MM-DD');
    return parseCalendarDate(ast.value);
  },
});
