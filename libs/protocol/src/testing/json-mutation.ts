/**
 * Test-only helpers shared by the request-parser specs: mutate a built request body at a dotted
 * path and pull the EVM payload out of a parsed payment. Not exported from the package entry.
 */
import type { ExactEvmSchemePayload, NormalizedPayment } from '../types';
import { cloneJson } from './request-builders';

/** A mutable JSON object. */
export type Json = Record<string, unknown>;
/** A built body as a mutable JSON object (the wire interfaces have no index signature). */
export const asJson = (body: object): Json => cloneJson(body) as Json;

/** Pass as `value` to {@link mutate} to remove the key instead of setting it. */
export const DELETE = Symbol('delete');
/** Sets (or, with `DELETE`, removes) the value at a dotted path of a copy, creating nothing on the way. */
export function mutate(body: unknown, path: string, value: unknown): Json {
  const copy = cloneJson(body) as Json;
  const keys = path.split('.');
  let node: Json = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Json;
  const last = keys[keys.length - 1];
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return copy;
}

/** The EIP-3009 payload of a parsed EVM payment (the union also holds other families' payloads); throws otherwise. */
export function evmPayload(p: NormalizedPayment): ExactEvmSchemePayload {
  if (p.payload.family !== 'eip155') throw new Error(`expected an EVM payload, got ${p.payload.family}`);
  return p.payload;
}
