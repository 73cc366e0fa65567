import type { IncomingMessage, ServerResponse } from "node:http";
import { execute, GraphQLError, specifiedRules, subscribe, validate, type ExecutionResult } from "graphql";
import { createHandler as createHttpHandler } from "graphql-http";
import { createHandler as createSseHandler } from "graphql-sse";
import { errorField } from "../../shared/errors.js";
import { readBodyText, type Route } from "../../shared/http.js";
import type { Logger } from "../../shared/logger.js";
import { maxDepthRule } from "./depth-limit.js";
import { LiveFeeds } from "./live.js";
import { rootValue, type ResolverDeps } from "./resolvers.js";
import { trackingSchema } from "./schema.js";

/** A GraphQL request body larger than this is refused with 413 before it is parsed. */
export const GRAPHQL_BODY_LIMIT = 64 * 1024;

export interface GraphqlApi {
  routes: Route[];
  /** Subscriptions open now. */
  openSubscriptions(): number;
  /** End every subscription (each stream says `complete` and closes): a stopping server can then close. */
  endSubscriptions(): void;
}

/**
 * `/graphql` on tracking's HTTP server: GET and POST. A request that accepts `text/event-stream`
 * goes to graphql-sse (subscriptions, or a query answered as one event); any other to graphql-http.
 */
export function graphqlApi(deps: Omit<ResolverDeps, "feeds">, log: Logger): GraphqlApi {
  const feeds = new LiveFeeds();
  const schema = trackingSchema();
  const root = rootValue({ ...deps, feeds });
  // What a resolver threw that is not a GraphQLError (a bug, a database error) is logged, not shown.
  const mask = (err: GraphQLError): GraphQLError => {
    if (!err.originalError || err.originalError instanceof GraphQLError) return err;
    log.error({ action: "graphql_resolver_failed", path: err.path?.join("."), error: errorField(err.originalError) }, "A GraphQL resolver failed");
    return new GraphQLError("Internal error; see the tracking service's log", { path: err.path, nodes: err.nodes, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  };
  const rules = [...specifiedRules, maxDepthRule()];
  const http = createHttpHandler({ schema, rootValue: root, validationRules: [maxDepthRule()], formatError: (err) => (err instanceof GraphQLError ? mask(err) : err) });
  const sse = createSseHandler({
    schema,
    validate: (s, document) => validate(s, document, rules),
    execute: (args) => execute({ ...args, rootValue: root }),
    subscribe: (args) => subscribe({ ...args, rootValue: root }),
    // Distinct connections only: no reserved streams (PUT) that a client could leave behind.
    authenticate: () => null,
    onNext: (_ctx, _req, result) => (result.errors ? ({ ...result, errors: result.errors.map((e) => mask(e as GraphQLError)) } as ExecutionResult) : undefined),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = req.method === "POST" ? await readBodyText(req, GRAPHQL_BODY_LIMIT) : null;
    const accept = String(req.headers.accept ?? "");
    if (/text\/event-stream/i.test(accept)) return serveStream(req, res, body);
    const [out, init] = await http({
      method: req.method!,
      url: req.url!,
      // Past the GraphQL-over-HTTP spec's watershed, a client that names no type gets its
      // graphql-response+json: a request that does not parse or validate is a 400.
      headers: { ...req.headers, accept: accept === "" || accept === "*/*" ? "application/graphql-response+json" : accept },
      body,
      raw: req,
      context: undefined,
    });
    res.writeHead(init.status, init.statusText, init.headers);
    res.end(out);
  }

  async function serveStream(req: IncomingMessage, res: ServerResponse, body: string | null): Promise<void> {
    const [out, init] = await sse({
      method: req.method!,
      url: req.url!,
      headers: {
        get: (key: string) => {
          if (key === "accept") return "text/event-stream";
          const value = req.headers[key];
          return Array.isArray(value) ? value.join(", ") : value;
        },
      },
      body,
      raw: req,
      context: undefined,
    });
    // One long response per connection: closed with it, so a stopping server does not wait for it to idle out.
    res.writeHead(init.status, init.statusText, { ...init.headers, connection: "close" });
    if (!out || typeof out === "string") {
      res.end(out ?? undefined);
      return;
    }
    // The client went away: the stream's return ends its subscription, whose feed stops hearing the read model.
    const hangUp = () => void out.return(undefined);
    res.once("close", hangUp);
    try {
      for await (const chunk of out) {
        if (res.destroyed || !res.writable) break;
        if (!res.write(chunk)) await writable(res);
      }
    } finally {
      res.off("close", hangUp);
    }
    res.end();
  }

  const route = (method: string): Route => ({ method, path: /^\/graphql\/?$/, handler: handle });
  return {
    routes: [route("GET"), route("POST")],
    openSubscriptions: () => feeds.size,
    endSubscriptions: () => feeds.endAll(),
  };
}

/** Until the socket takes more (drain) or is gone (close); both listeners removed either way. */
function writable(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
