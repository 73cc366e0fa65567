import { EventEmitter } from "node:events";
import { connectNats, type NatsConnection } from "../services/shared/nats.js";
import { Chaos } from "./chaos.js";
import { serveHarnessControl, writeCurrentRun } from "./harness-control.js";
import type { FaultRecord, RunMode } from "./run-events.js";
import { openSession, type Session, type SessionOptions } from "./session.js";

export interface LiveSystem extends EventEmitter<{ fault: [FaultRecord] }> {
  session: Session;
  chaos: Chaos;
  nc: NatsConnection;
  close(): Promise<void>;
}

/**
 * `pizzeria up`: a running system that also takes faults from another terminal
 * (`pizzeria chaos ...`), recorded with their time since start.
 */
export async function startLiveSystem(options: SessionOptions & { mode?: RunMode }): Promise<LiveSystem> {
  const session = await openSession(options);
  const startedAt = Date.now();
  const events = new EventEmitter<{ fault: [FaultRecord] }>();
  let nc: NatsConnection;
  try {
    nc = await connectNats(session.nats, "harness");
  } catch (err) {
    await session.close();
    throw err;
  }
  const chaos = new Chaos(
    { mode: options.mode ?? "inprocess", launcher: session.launcher, broker: session.broker, cluster: session.cluster, nc, now: () => Date.now() - startedAt, inFlight: () => 0 },
    (f) => events.emit("fault", f),
  );
  const forget = writeCurrentRun({ nats: [session.nats.servers].flat(), runDir: session.runDir, pid: process.pid, label: options.label, startedAt: new Date(startedAt).toISOString() });
  const control = serveHarnessControl(nc, {
    inject: (req) => chaos.inject(req, "manual"),
    status: () => ({ label: options.label, runDir: session.runDir, services: session.launcher.list() }),
  });
  return Object.assign(events, {
    session,
    chaos,
    nc,
    async close() {
      control.stop();
      forget();
      await chaos.endAll();
      await nc.close();
      await session.close();
    },
  });
}
