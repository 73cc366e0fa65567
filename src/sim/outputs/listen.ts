import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Listen on `host:port` (any free port for 0; loopback by default) and give the page's URL. */
export async function listenForPage(server: Server, options: { host?: string; port?: number }): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const a = server.address() as AddressInfo;
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/`;
}
