import { Elysia } from 'elysia';
import type { Config } from '../config';
import { Err } from '../errors';
import { pathOf, requestPath } from '../lib/request-target';

// The transport edge: what every request passes before anything else looks at it. Bun's own limits
// are set wide so that these checks answer first, in the contract's error shape; what Bun still
// answers itself (a request head over 16 KB or ~100 headers: 431; a malformed request line,
// header or Content-Length: 400; a head unfinished after ~10 s: closed) never became a request.

/**
 * Bun's maxRequestBodySize. Bun refuses a larger Content-Length itself, with a bare 413 and no
 * body; the gateway's own limit (TOLLGATE_MAX_BODY_BYTES, checked below for a Content-Length and
 * by every body reader for chunked bodies) answers in the contract's shape, so Bun's is set as
 * high as a Content-Length can be read exactly.
 */
export const BUN_MAX_REQUEST_BODY_SIZE = Number.MAX_SAFE_INTEGER;

/** Left on a request's context by the edge, for the hooks that run after it. */
export interface EdgeContext {
  tgPath?: string;
}

/**
 * The request's path, as the edge read it (once per request; `ctx.tgPath`), or read now.
 * Hooks never hand their whole context to a function: Elysia's inference (sucrose) then assumes
 * the function reads everything and parses cookies, headers and the query of every request.
 */
export function pathOfContext(request: Request, tgPath: string | undefined): string {
  return tgPath ?? pathOf(request.url);
}

/** 400 for a target that is not an origin-form path with a sane Host; keeps the path for the hooks after it. */
export function edgeTarget() {
  return new Elysia({ name: 'edge-target' }).onRequest((ctx) => {
    (ctx as EdgeContext).tgPath = checkRequestTarget(ctx.request);
  });
}

/** The request's path; throws 400 for a target that is not an origin-form path with a sane Host. */
export function checkRequestTarget(request: Request): string {
  const path = requestPath(request.url);
  if (path === null) throw Err.badRequestTarget();
  return path;
}

/** 413 from the Content-Length alone, before a byte of the body is read (chunked bodies: the readers). */
export function edgeBodyLimit(config: Pick<Config, 'maxBodyBytes'>) {
  return new Elysia({ name: 'edge-body-limit' }).onRequest(({ request }) => checkContentLength(request, config.maxBodyBytes));
}

/** Throws 413 for a Content-Length over `maxBodyBytes`. */
export function checkContentLength(request: Request, maxBodyBytes: number): void {
  const length = request.headers.get('content-length');
  if (length !== null && Number(length) > maxBodyBytes) throw Err.requestTooLarge(maxBodyBytes);
}
