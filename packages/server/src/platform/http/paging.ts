import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { invalidParameter } from "../errors.ts";

/**
 * Twilio paging. Callers send PageSize (1–1000, default 50), Page (the page number, informational
 * when a PageToken is given) and PageToken (opaque: where the previous page ended). We page by key
 * (the sort columns of the last row), so pages stay stable while rows are added; a bare Page without
 * a token falls back to an offset.
 */
export const pagingQuery = z.object({
  PageSize: z.coerce.number().int().min(1).max(1000).optional(),
  Page: z.coerce.number().int().min(0).optional(),
  PageToken: z.string().max(512).optional(),
});

export type PagingQuery = z.infer<typeof pagingQuery>;

export type SortKey = Array<string | number>;

export interface PageRequest {
  pageSize: number;
  page: number;
  /** Sort key of the last row of the previous page. */
  after: SortKey | undefined;
  /** Rows to skip when there is no token. */
  offset: number;
}

const TOKEN_PREFIX = "PT";

export function pageRequest(query: PagingQuery): PageRequest {
  const pageSize = query.PageSize ?? 50;
  const page = query.Page ?? 0;
  if (query.PageToken === undefined) return { pageSize, page, after: undefined, offset: page * pageSize };
  return { pageSize, page, after: decodeToken(query.PageToken), offset: 0 };
}

function decodeToken(token: string): SortKey {
  try {
    if (!token.startsWith(TOKEN_PREFIX)) throw new Error("prefix");
    const key: unknown = JSON.parse(
      Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url").toString("utf8"),
    );
    if (!Array.isArray(key) || !key.every((v) => typeof v === "string" || typeof v === "number"))
      throw new Error("shape");
    return key;
  } catch {
    throw invalidParameter("Invalid parameter PageToken: not a token this server issued");
  }
}

function encodeToken(key: SortKey): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

export interface Page<T> {
  items: T[];
  /** Sort key of the last row, when more rows follow. */
  nextKey: SortKey | undefined;
}

/** Stores fetch pageSize + 1 rows; the extra one only tells whether a next page exists. */
export function pageOf<T>(rows: T[], request: PageRequest, keyOf: (row: T) => SortKey): Page<T> {
  const items = rows.slice(0, request.pageSize);
  const last = items.at(-1);
  return { items, nextKey: rows.length > request.pageSize && last ? keyOf(last) : undefined };
}

function withParams(
  path: string,
  query: Record<string, unknown>,
  changes: Record<string, string | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k === "Page" || k === "PageToken" || k === "PageSize" || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function links(request: FastifyRequest, pageRequest: PageRequest, nextKey: SortKey | undefined) {
  const path = request.url.split("?")[0] ?? request.url;
  const query = (request.query ?? {}) as Record<string, unknown>;
  const size = String(pageRequest.pageSize);
  const current = withParams(path, query, {
    PageSize: size,
    Page: String(pageRequest.page),
    PageToken: (query.PageToken as string | undefined) ?? undefined,
  });
  return {
    first: withParams(path, query, { PageSize: size, Page: "0" }),
    previous:
      pageRequest.page > 0
        ? withParams(path, query, { PageSize: size, Page: String(pageRequest.page - 1) })
        : null,
    current,
    next: nextKey
      ? withParams(path, query, {
          PageSize: size,
          Page: String(pageRequest.page + 1),
          PageToken: encodeToken(nextKey),
        })
      : null,
  };
}

/** The scheme and host the caller used, for absolute URLs in responses. */
export function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** The v1 product APIs' list shape: `{ <key>: [...], meta: {...} }` with absolute URLs. */
export function v1List<T>(request: FastifyRequest, key: string, pageRequest: PageRequest, page: Page<T>) {
  const l = links(request, pageRequest, page.nextKey);
  const base = origin(request);
  return {
    [key]: page.items,
    meta: {
      page: pageRequest.page,
      page_size: pageRequest.pageSize,
      first_page_url: base + l.first,
      previous_page_url: l.previous && base + l.previous,
      url: base + l.current,
      next_page_url: l.next && base + l.next,
      key,
    },
  };
}

/** The 2010-04-01 API's list shape: the key beside relative `*_uri` fields, start and end. */
export function v2010List<T>(request: FastifyRequest, key: string, pageRequest: PageRequest, page: Page<T>) {
  const l = links(request, pageRequest, page.nextKey);
  const start = pageRequest.page * pageRequest.pageSize;
  return {
    [key]: page.items,
    first_page_uri: l.first,
    previous_page_uri: l.previous,
    uri: l.current,
    next_page_uri: l.next,
    page: pageRequest.page,
    page_size: pageRequest.pageSize,
    start,
    end: start + Math.max(page.items.length - 1, 0),
  };
}
