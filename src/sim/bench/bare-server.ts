/**
 * The baseline of the accept bench: a bare node:http server, run as its own process like the
 * order service, that reads the same request body, parses it as JSON and answers 201 with an
 * answer of the same shape. No validation, no database, no broker: what HTTP + JSON alone cost on
 * this machine. Run: `node dist/sim/bench/bare-server.js [port]`; it prints `{"url": ...}` on stdout.
 */
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export function createBareServer(): Server {
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let status = 201;
      let body: string;
      try {
        const order = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { items?: Array<{ quantity: number; price: number }> };
        const total = (order.items ?? []).reduce((sum, i) => sum + i.quantity * i.price, 0);
        body = JSON.stringify({ order_number: `ORD_20000101_${String(++n).padStart(3, "0")}`, status: "received", total_amount: Math.round(total * 100) / 100 });
      } catch {
        status = 400;
        body = JSON.stringify({ error: "malformed_json" });
      }
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const port = Number(process.argv[2] ?? 0);
  const server = createBareServer();
  server.listen(port, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
