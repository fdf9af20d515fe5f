import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * Deepest nesting of objects/arrays accepted in a request body. x402 bodies nest 5 levels (`paymentPayload
 * .payload.authorization`), merchant and admin bodies 2; 32 leaves room for any sane `extra` or extension
 * and keeps every later recursive walk (canonical JSON for request hashes, zod, jsonb) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/** Routes whose bodies keep x402 semantics: a NUL inside an otherwise readable body is answered by the protocol parser. */
const FACILITATOR_PATHS = new Set(['/verify', '/settle']);

type Finding = { field: string; problem: string };

/** One value still to inspect; its path is rebuilt from `parent` links only for a finding. */
interface Frame {
  v: unknown;
  key: string | number | undefined;
  parent: Frame | undefined;
  depth: number;
}

/**
 * Walks a parsed value without recursion (an attacker controls the depth). Reports the first container
 * nested deeper than `maxDepth` and, when `refuseNul`, the first string or key holding U+0000 (Postgres
 * text and jsonb cannot store it, so such input could only ever fail deep inside a query).
 * Runs on every request body: one small frame per value, no path copied unless something is found.
 */
export function inspectInput(value: unknown, opts: { maxDepth: number; refuseNul: boolean; root: string }): Finding | undefined {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' && opts.refuseNul && value.includes('\u0000') ? { field: opts.root, problem: 'must not contain NUL characters' } : undefined;
  }
  const stack: Frame[] = [{ v: value, key: undefined, parent: undefined, depth: 0 }];
  while (stack.length) {
    const frame = stack.pop()!;
    const v = frame.v;
    if (typeof v === 'string') {
      if (opts.refuseNul && v.includes('\u0000')) return { field: fieldName(pathOf(frame), opts.root), problem: 'must not contain NUL characters' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (frame.depth >= opts.maxDepth) return { field: fieldName(pathOf(frame), opts.root), problem: `is nested deeper than ${opts.maxDepth} levels` };
    const depth = frame.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const x: unknown = v[i];
        // Other scalars (and strings, when NUL is allowed) can hold nothing to find: no frame for them.
        if (typeof x === 'object' ? x !== null : opts.refuseNul && typeof x === 'string') stack.push({ v: x, key: i, parent: frame, depth });
      }
    } else {
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        if (opts.refuseNul && k.includes('\u0000')) return { field: fieldName(pathOf(frame), opts.root), problem: 'has a key containing a NUL character' };
        const x: unknown = (v as Record<string, unknown>)[k];
        if (typeof x === 'object' ? x !== null : opts.refuseNul && typeof x === 'string') stack.push({ v: x, key: k, parent: frame, depth });
      }
    }
  }
  return undefined;
}

/** The keys from the root down to `frame`. */
function pathOf(frame: Frame): Array<string | number> {
  const path: Array<string | number> = [];
  for (let f: Frame | undefined = frame; f && f.key !== undefined; f = f.parent) path.push(f.key);
  return path.reverse();
}

/** Dotted path, cut to its first 6 segments (the path of a 20,000-deep array is not a useful field name). */
function fieldName(path: Array<string | number>, root: string): string {
  if (path.length === 0) return root;
  const shown = path.slice(0, 6).map((s) => String(s).replace(/\u0000/g, '\\0'));
  return shown.join('.') + (path.length > 6 ? '…' : '');
}

/**
 * Express middleware run right after body parsing, before any guard, hash or schema: refuses a body nested
 * deeper than {@link MAX_JSON_DEPTH} (400, on every route: such a body is treated as unparsable) and NUL
 * characters in the body, query or path (400 naming the field; on `/verify` and `/settle` the protocol
 * parser answers a NUL in the body with `isValid: false` instead, as x402 wants for a readable body).
 */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  const facilitator = FACILITATOR_PATHS.has(req.path);
  const body = inspectInput(req.body, { maxDepth: MAX_JSON_DEPTH, refuseNul: !facilitator, root: 'body' });
  if (body) return next(new BadRequestException({ message: `${body.field}: ${body.problem}`, field: body.field }));
  const query = inspectInput(req.query, { maxDepth: 4, refuseNul: true, root: 'query' });
  if (query) return next(new BadRequestException({ message: `${query.field}: ${query.problem}`, field: query.field }));
  if (/%00/i.test(req.path) || req.path.includes('\u0000')) {
    return next(new BadRequestException({ message: 'path: must not contain NUL characters', field: 'path' }));
  }
  next();
}
