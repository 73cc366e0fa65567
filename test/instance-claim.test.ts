import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { start as startOrder, type OrderService } from "../src/services/order/index.js";
import { start as startNotification } from "../src/services/notification/index.js";
import { BUCKETS, type InstanceRecord } from "../src/services/shared/contracts.js";
import { lockDataFile, lockFileFor } from "../src/services/shared/data-file-lock.js";
import { openBucket } from "../src/services/shared/kv.js";
import { DataFileLockedError, InstanceOnlineError, isClaimRefusal } from "../src/services/shared/errors.js";
import { getJson } from "./helpers/orders.js";
import { scratchDir, startTestBroker, type TestBroker } from "./helpers/nats.js";
import { TEST_TOPOLOGY } from "./helpers/system.js";

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

describe("a service instance claims its name and its data file", () => {
  let broker: TestBroker;
  let nc: NatsConnection;
  let dir: string;
  const running: OrderService[] = [];
  const order = async (instance: string, file: string) => {
    const service = await startOrder({ nats: { servers: broker.url }, topology: TEST_TOPOLOGY, instance, port: 0, dbFile: join(dir, file), logFile: join(dir, `${file}.log`) });
    running.push(service);
    return service;
  };
  const presence = async (key: string) => (await (await new Kvm(nc).open(BUCKETS.instances)).get(key))?.json() as InstanceRecord | undefined;

  beforeAll(async () => {
    broker = await startTestBroker();
    nc = await connect({ servers: broker.url });
    dir = scratchDir("claim");
  });
  afterAll(async () => {
    for (const s of running) await s.stop();
    await nc?.close();
    await broker?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a second order service with the name of one that is online, naming the instance and its holder", async () => {
    const first = await order("order-dup", "dup-a.db");
    const second = order("order-dup", "dup-b.db");
    await expect(second).rejects.toBeInstanceOf(InstanceOnlineError);
    await expect(second).rejects.toThrow(new RegExp(`^order instance "order-dup" is already online \\(pid ${process.pid} on ${hostname()}, last seen .*\\); pick another --instance`));
    // The refused one let go of what it opened: its file is not locked, the first is untouched.
    expect(existsSync(lockFileFor(join(dir, "dup-b.db")))).toBe(false);
    expect((await getJson(`${first.url}/health`)).status).toBe(200);
    expect(await presence("order.order-dup")).toMatchObject({ state: "online", pid: process.pid, hostname: hostname() });
  });

  it("refuses a second service on a data file another instance holds, naming the file and the holder", async () => {
    await order("order-file-a", "shared.db");
    const file = join(dir, "shared.db");
    const second = order("order-file-b", "shared.db");
    await expect(second).rejects.toBeInstanceOf(DataFileLockedError);
    await expect(second).rejects.toThrow(`data file ${file} is in use by order instance "order-file-a", pid ${process.pid} on ${hostname()}`);
    // The name it claimed on the way is free again (signed off), not left online.
    expect((await presence("order.order-file-b"))?.state).toBe("offline");
    // Another kind of service on the same file is refused the same way.
    const notification = startNotification({ nats: { servers: broker.url }, topology: TEST_TOPOLOGY, instance: "notification-file", dbFile: file, logFile: join(dir, "n.log") });
    await expect(notification).rejects.toBeInstanceOf(DataFileLockedError);
  });

  it("after a crash (abort) starts again at once on the same name and file; after a stop too", async () => {
    const first = await order("order-crash", "crash.db");
    await first.abort();
    // Its heartbeat is still fresh, but its holder crashed in this process: no wait for it to go stale.
    expect((await presence("order.order-crash"))?.state).toBe("online");
    expect(existsSync(lockFileFor(join(dir, "crash.db")))).toBe(false);
    const second = await order("order-crash", "crash.db");
    expect((await getJson(`${second.url}/health`)).status).toBe(200);
    await second.stop();
    expect((await presence("order.order-crash"))?.state).toBe("offline");
    expect(existsSync(lockFileFor(join(dir, "crash.db")))).toBe(false);
    const third = await order("order-crash", "crash.db");
    expect((await getJson(`${third.url}/health`)).status).toBe(200);
  });

  it("takes over a presence record and a lock file left by a process that is gone", async () => {
    const pid = deadPid();
    const file = join(dir, "orphan.db");
    writeFileSync(lockFileFor(file), `${JSON.stringify({ pid, hostname: hostname(), service: "order", instance: "order-orphan", since: new Date().toISOString() })}\n`);
    const kv = await openBucket(nc, BUCKETS.instances, { replicas: 1 });
    const now = new Date().toISOString();
    const record: InstanceRecord = { service: "order", instance: "order-orphan", state: "online", heartbeat_interval_ms: 60_000, last_seen: now, started_at: now, hostname: hostname(), pid };
    await kv.put("order.order-orphan", JSON.stringify(record));
    const service = await order("order-orphan", "orphan.db");
    expect(JSON.parse(readFileSync(lockFileFor(file), "utf8"))).toMatchObject({ pid: process.pid, instance: "order-orphan" });
    expect(await presence("order.order-orphan")).toMatchObject({ state: "online", pid: process.pid });
    await service.stop();
  });
});

describe("the data file lock", () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchDir("lock");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is held until released, refused meanwhile, and only removed by its holder", () => {
    const file = join(dir, "a.db");
    const lock = lockDataFile(file, "payment", "payment-1");
    expect(JSON.parse(readFileSync(lock.lockFile, "utf8"))).toMatchObject({ pid: process.pid, hostname: hostname(), service: "payment", instance: "payment-1" });
    let refusal: unknown;
    try {
      lockDataFile(file, "payment", "payment-2");
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(DataFileLockedError);
    expect(isClaimRefusal(refusal)).toBe(true);
    lock.release();
    expect(existsSync(lock.lockFile)).toBe(false);
    const again = lockDataFile(file, "payment", "payment-2");
    lock.release(); // a stale handle does not remove the new holder's lock
    expect(existsSync(again.lockFile)).toBe(true);
    again.release();
  });

  it("refuses a lock a live process on this host holds, and one held on another host", () => {
    const file = join(dir, "b.db");
    writeFileSync(lockFileFor(file), JSON.stringify({ pid: process.ppid, hostname: hostname(), service: "order", instance: "order-1", since: "" }));
    expect(() => lockDataFile(file, "order", "order-1")).toThrow(`data file ${file} is in use by order instance "order-1", pid ${process.ppid} on ${hostname()}`);
    writeFileSync(lockFileFor(file), JSON.stringify({ pid: deadPid(), hostname: "elsewhere", service: "order", instance: "order-1", since: "" }));
    expect(() => lockDataFile(file, "order", "order-1")).toThrow(DataFileLockedError);
  });

  it("matches a refusal a child process printed, for the launcher's restart", () => {
    expect(isClaimRefusal(new Error('order/order-1 exited during start (exit code 2): pizzeria: order instance "order-1" is already online (pid 1 on h, last seen x)'))).toBe(true);
    expect(isClaimRefusal(new Error("kitchen/chef exited during start (exit code 2): pizzeria: data file x.db is in use by order instance \"o\", pid 1 on h (lock file x.db.lock)"))).toBe(true);
    expect(isClaimRefusal(new Error("connection refused"))).toBe(false);
  });
});
