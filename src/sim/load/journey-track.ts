/**
 * A journey's `track` step: follow one order until it is completed or cancelled, and keep every
 * status it saw, in order, one list per connection, for the checker (each subscription must
 * see a run of the stream's statuses with nothing missing; polling, statuses in the stream's order).
 * - subscribe: tracking's `orderStatus` subscription over graphql-sse (one POST that accepts
 *   `text/event-stream`): where the order stands, then each change; the stream ends at its last
 *   status. A subscription cut short (tracking restarted) is opened again, at the next instance.
 * - poll: `GET /orders/:n/status` every 500 ms (404 until tracking has heard of the order).
 */
import { request, type Agent } from "node:http";
import { isTerminal, type OrderStatus } from "../../services/shared/contracts.js";
import { requestJson } from "./cart-client.js";

export const POLL_EVERY_MS = 500;
/** Between a subscription that ended early and the next (the instance may be restarting). */
const RESUBSCRIBE_AFTER_MS = 200;
const QUERY = "subscription Track($number: String!) { orderStatus(number: $number) { status } }";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const terminal = (s: string | null) => s !== null && isTerminal(s as OrderStatus);

/** The last status seen (terminal unless the deadline came first). */
export async function followBySubscription(number: string, tracking: () => string[], seen: string[][], deadline: number): Promise<string | null> {
  let last: string | null = null;
  for (let k = 0; Date.now() < deadline; k++) {
    const urls = tracking();
    if (urls.length > 0) {
      const segment: string[] = [];
      seen.push(segment);
      last = (await subscribeOnce(`${urls[k % urls.length]}/graphql`, number, segment, deadline)) ?? last;
      if (segment.length === 0) seen.pop();
      if (terminal(last)) return last;
    }
    await pause(RESUBSCRIBE_AFTER_MS);
  }
  return last;
}

/** One subscription: its statuses into `segment` until it ends (or the deadline); the last one. */
function subscribeOnce(url: string, number: string, segment: string[], deadline: number): Promise<string | null> {
  const body = Buffer.from(JSON.stringify({ query: QUERY, variables: { number } }), "utf8");
  return new Promise((resolve) => {
    let buffer = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(segment.at(-1) ?? null);
    };
    const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream", "content-length": body.length } });
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return finish();
      }
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const status = statusOf(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (status === "complete") return finish();
          if (status !== null) {
            if (segment.at(-1) !== status) segment.push(status);
            if (terminal(status)) return finish();
          }
        }
      });
      res.on("end", finish);
      res.on("error", finish);
    });
    req.on("error", finish);
    req.end(body);
  });
}

/** The status an event block carries; "complete" for the end of the stream; null for anything else. */
function statusOf(block: string): string | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trim());
  }
  if (event === "complete") return "complete";
  if (event !== "next" || data.length === 0) return null;
  try {
    const status = (JSON.parse(data.join("\n")) as { data?: { orderStatus?: { status?: unknown } } }).data?.orderStatus?.status;
    return typeof status === "string" ? status : null;
  } catch {
    return null;
  }
}

/** Poll until the order is finished or the deadline; the last status seen. */
export async function followByPolling(agent: Agent, number: string, tracking: () => string[], seen: string[][], deadline: number, timeoutMs: number): Promise<string | null> {
  const segment: string[] = [];
  seen.push(segment);
  for (let k = 0; Date.now() < deadline; k++) {
    const urls = tracking();
    if (urls.length > 0) {
      const r = await requestJson(agent, "GET", `${urls[k % urls.length]}/orders/${encodeURIComponent(number)}/status`, null, null, timeoutMs);
      const status = r.status === 200 && typeof r.body?.current_status === "string" ? r.body.current_status : null;
      if (status !== null && segment.at(-1) !== status) segment.push(status);
      if (terminal(status)) return status;
    }
    await pause(POLL_EVERY_MS);
  }
  return segment.at(-1) ?? null;
}
