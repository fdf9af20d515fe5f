import { ValueTransformer } from 'typeorm';

/** numeric(78,0) ⇄ bigint. Money never passes through a JS number. */
export const bigintTransformer: ValueTransformer = {
  to: (v: bigint | null | undefined) => (v === null || v === undefined ? v : v.toString()),
  from: (v: string | null) => (v === null || v === undefined ? null : BigInt(v)),
};
