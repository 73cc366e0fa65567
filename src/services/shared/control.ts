import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type ServiceName } from "./contracts.js";
import { errorField, errorMessage } from "./errors.js";
import type { Logger } from "./logger.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ControlHandlers = Record<string, (request: any) => unknown | Promise<unknown>>;

/**
 * Answer request/reply questions on `pizzeria.ctl.<service>.<instance>.<verb>`: how the harness
 * (in-process or across machines) asks a running instance what it holds or saw. Bodies are JSON;
 * a bad request gets `{error}`, never a crash.
 */
export function serveControl(nc: NatsConnection, service: ServiceName, instance: string, log: Logger, handlers: ControlHandlers): { stop(): void } {
  const subs = Object.entries(handlers).map(([verb, handler]) =>
    nc.subscribe(subjects.control(service, instance, verb), {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          let reply: unknown;
          try {
            const text = msg.string();
            reply = await handler(text.length > 0 ? JSON.parse(text) : {});
          } catch (e) {
            log.warn({ action: "control_request_failed", verb, error: errorField(e) }, `Control request ${verb} failed`);
            reply = { error: errorMessage(e) };
          }
          if (!msg.reply) return;
          try {
            msg.respond(JSON.stringify(reply));
          } catch (e) {
            // e.g. a page over the server's max_payload: say so instead of crashing the service.
            log.warn({ action: "control_reply_failed", verb, error: errorField(e) }, `Control reply ${verb} could not be sent`);
            try {
              msg.respond(JSON.stringify({ error: `the reply could not be sent: ${errorMessage(e)}` }));
            } catch {
              // the connection is gone
            }
          }
        })();
      },
    }),
  );
  return {
    stop() {
      for (const s of subs) s.unsubscribe();
    },
  };
}
