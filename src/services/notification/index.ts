import { CONSUMERS, subjects, type AnyOrderEvent } from "../shared/contracts.js";
import { runConsumer } from "../shared/consumer.js";
import { serveControl } from "../shared/control.js";
import { decodeOrderEvent } from "../shared/events.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { activeMutant } from "../shared/mutants.js";
import { ensureConsumer } from "../shared/nats.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { afterCommit } from "../shared/db.js";

export interface NotificationServiceOptions extends CommonServiceOptions {
  instance?: string;
  /** Where notification lines are printed besides the log: stdout when it runs as a process, a file the harness reads in-process. */
  print?: (line: string) => void;
}

export interface NotificationService {
  instance: string;
  /** GET /metrics (Prometheus text), on its own port (options.metricsPort). */
  metricsUrl: string;
  metricsPort: number;
  /** How many notifications this instance sent (each status change once). */
  sent(): number;
  /** The statuses it announced for an order, in order. */
  seenFor(orderNumber: string): string[];
  stop(): Promise<void>;
  abort(): Promise<void>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notifications (
  seq          INTEGER PRIMARY KEY,
  event_id     TEXT NOT NULL UNIQUE,
  order_number TEXT NOT NULL,
  from_status  TEXT NOT NULL,
  to_status    TEXT NOT NULL,
  changed_by   TEXT NOT NULL,
  at           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_order ON notifications (order_number, seq);
`;

/** The seed's line, word for word. */
export function notificationLine(event: AnyOrderEvent): string {
  return `Notification for order ${event.order_number}: Status changed from '${event.from}' to '${event.to}' by ${event.by}.`;
}

/**
 * A fanout subscriber: every instance has its own durable consumer, so each sees every status
 * change. Each change is announced once per instance (the event id is remembered) and counted,
 * so a checker can ask what it saw.
 */
export async function start(options: NotificationServiceOptions): Promise<NotificationService> {
  const instance = options.instance ?? "notification-1";
  const life = await ServiceLifecycle.open("notification", instance, options, SCHEMA);
  return life.starting(() => startNotificationService(life, options, instance));
}

async function startNotificationService(life: ServiceLifecycle, options: NotificationServiceOptions, instance: string): Promise<NotificationService> {
  const { log, js, jsm, nc, db, topology } = life.rt;
  const insert = db.prepare("INSERT OR IGNORE INTO notifications (event_id, order_number, from_status, to_status, changed_by, at) VALUES (?, ?, ?, ?, ?, ?)");
  const byOrder = db.prepare("SELECT to_status FROM notifications WHERE order_number = ? ORDER BY seq");
  const page = db.prepare("SELECT seq, order_number, to_status FROM notifications WHERE seq > ? ORDER BY seq LIMIT ?");
  const count = db.prepare("SELECT COUNT(*) AS n FROM notifications");
  /** Lines handed to `print` by this incarnation: how long a reader of the output must wait for them. */
  let printed = 0;
  // TEST-ONLY: the self-test's deliberate bug (PIZZERIA_MUTANT), read here once; null in every real run.
  const mutant = activeMutant();
  let changes = 0;
  /** How often a change is printed: once, except under the TEST-ONLY mutants (every fifth change never, or twice). */
  const printings = () => {
    if (mutant === null || ++changes % 5 !== 0) return 1;
    return mutant === "notification-silent" ? 0 : mutant === "notification-double" ? 2 : 1;
  };

  await ensureConsumer(jsm, { durable: CONSUMERS.notification(instance), filter: subjects.allOrderEvents, ordered: true }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.notification(instance), log); // ends with the connection
  const consumer = runConsumer({
    js,
    durable: CONSUMERS.notification(instance),
    log,
    metrics: life.rt.metrics,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    // The events that arrive together are applied in one transaction and acked after its commit.
    // Nothing waits on a notification: 50 ms of gathering cost nobody anything and save a wake-up per event.
    batch: { db, nc, lingerMs: 50 },
    handle(event) {
      if (event.from === null || event.to === null) return; // placed is not a change; payment_failed is answered by a cancel
      const { changes } = insert.run(event.id, event.order_number, event.from, event.to, event.by, event.at);
      if (changes === 0) return; // announced before: a redelivery
      const line = notificationLine(event);
      log.info({ action: "notification_received", order_number: event.order_number, from: event.from, to: event.to, by: event.by }, line);
      // Printed once the batch is stored: a batch that is not (a full disk) comes back, and would print again.
      const print = options.print;
      if (print) {
        afterCommit(db, () => {
          for (let n = printings(); n > 0; n--) {
            print(line);
            printed++;
          }
        });
      }
    },
  });

  const control = serveControl(nc, "notification", instance, log, {
    /** Page through what was announced: `{after, limit}` -> `{rows: [[seq, order, status]], next}`. */
    seen(req: { after?: number; limit?: number }) {
      const rows = page.all(req.after ?? 0, Math.min(req.limit ?? 5000, 20_000)) as Array<{ seq: number; order_number: string; to_status: string }>;
      return { rows: rows.map((r) => [r.order_number, r.to_status]), next: rows.length > 0 ? rows[rows.length - 1].seq : null };
    },
    stats: () => ({ sent: (count.get() as { n: number }).n, printed }),
  });
  log.info({ action: "service_started" }, `Notification subscriber ${instance} started`);

  life.own({
    consumers: [consumer],
    control,
    stopped: () => log.info({ action: "service_stopped" }, "Notification subscriber stopped"),
  });
  const metricsAt = await life.serveMetrics();
  return {
    instance,
    metricsUrl: metricsAt.url,
    metricsPort: metricsAt.port,
    sent: () => (count.get() as { n: number }).n,
    seenFor: (number) => (byOrder.all(number) as Array<{ to_status: string }>).map((r) => r.to_status),
    stop: () => life.stop(),
    abort: () => life.abort(),
  };
}
