import { spawn } from "node:child_process";
import { jetstream } from "@nats-io/jetstream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { subjects } from "../src/services/shared/contracts.js";
import { runConsumer } from "../src/services/shared/consumer.js";
import { decodeJson } from "../src/services/shared/dead-letter.js";
import { connectNats, ensureConsumer, ensureStreams, resolveTopology } from "../src/services/shared/nats.js";
import { jetstreamManager } from "@nats-io/jetstream";
import { findNatsServer } from "../src/sim/system/nats-binary.js";
import { startTestBroker } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

// A shared durable's runner (payment's) across a reconnect to a server where JetStream cannot
// answer yet (a cluster whose leader was just killed; here a server without JetStream in between).
// The client alone would re-pull only after a whole pull expiry (30 s); the runner subscribes
// afresh at its own pace and takes the next message as soon as JetStream is back.
describe("the per-message consumer across a reconnect", () => {
  it("subscribes afresh after a reconnect where JetStream could not answer, and takes the next message without waiting out its pull", async () => {
    const broker = await startTestBroker();
    const nc = await connectNats({ servers: broker.url }, "consumer-reconnect");
    const lines: Array<{ action?: string }> = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let interlude: ReturnType<typeof spawn> | null = null;
    const handled: number[] = [];
    const topology = resolveTopology({ ackWaitMs: 1_000 });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, topology);
      await ensureConsumer(jsm, { durable: "reconnect_test", filter: subjects.ownedBy("reconnect-test") }, topology);
      const js = jetstream(nc);
      const runner = runConsumer<{ k: number }>({ js, durable: "reconnect_test", log, maxDeliver: 5, decode: (m) => decodeJson(m) as { k: number }, handle: (v) => void handled.push(v.k) });
      const publish = (k: number) => js.publish(subjects.orderEvent("paid", "main", "takeout", "reconnect-test"), JSON.stringify({ k }), { msgID: `reconnect-${k}` });
      await publish(1);
      await waitFor(() => handled.includes(1) || null, "the first message to be handled");

      // The broker goes; a server without JetStream takes its port; the client reconnects to it.
      await broker.stop();
      interlude = spawn(findNatsServer(), ["-a", "127.0.0.1", "-p", String(broker.port)], { stdio: "ignore" });
      await waitFor(() => lines.some((l) => l.action === "consumer_resubscribing") || null, "the runner to see the reconnect", 20_000);
      interlude.kill("SIGKILL");
      await new Promise((r) => interlude!.once("exit", r));
      interlude = null;
      await broker.restart();

      await waitFor(async () => ((await publish(2).catch(() => null)) ? true : null), "a publish to the broker back with JetStream");
      // The client's own re-pull would come 15-45 s after its failed look-up (a 30 s backoff with
      // jitter); the runner's comes within a second or two of JetStream being back.
      await waitFor(() => handled.includes(2) || null, "the message published after the reconnect to be handled", 10_000);
      expect(handled).toEqual([1, 2]);
      await runner.stop();
    } finally {
      interlude?.kill("SIGKILL");
      await nc.close();
      await broker.cleanup();
    }
  });
});
