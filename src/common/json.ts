import { DomainError } from '../errors/domain-error';

export const MAX_JSON_BYTES = 16 * 1024;

/** metadata/custom blobs: a JSON object of bounded size, so one client cannot bloat rows. */
export function jsonObject(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw DomainError.badInput(field, 'must be a JSON object');
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BYTES) {
    throw DomainError.badInput(field, `must be at most ${MAX_JSON_BYTES} bytes of JSON`);
  }
  return value as Record<string, unknown>;
}
