import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type NatsConnection, type ConnectionOptions } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { BrokerUnavailableError, ConfigError, errorMessage } from "./errors.js";
import { STREAMS, subjects } from "./contracts.js";
import { definedOnly } from "./objects.js";
import type { Logger } from "./logger.js";

export type { NatsConnection };

/** How a service reaches NATS: what `--nats`, `--nats-token` and `--nats-creds` say. */
export interface NatsOptions {
  servers: string | string[];
  token?: string;
  credsFile?: string;
  /** How long the first connection may take before the service gives up (default 10 s). */
  connectTimeoutMs?: number;
}

/** System-wide JetStream settings; every service of one system must agree on them. */
export interface TopologyOptions {
  /** Stream replicas: 1 for one server, 3 in a cluster. */
  replicas?: number;
  /** How long JetStream remembers a msgID to drop a republished event. */
  duplicateWindowMs?: number;
  /** How long a delivered, unacked message waits before redelivery (workers send working() well within it). */
  ackWaitMs?: number;
  /** Deliveries before a message is dead-lettered. */
  maxDeliver?: number;
  /**
   * The ORDERS stream's retention: messages older than this are dropped (0: kept for ever). A
   * consumer's idempotency entries older than it and the duplicate window serve nothing (see
   * pruneHorizonMs), so the services prune them.
   */
  ordersMaxAgeMs?: number;
  /** The ORDERS stream's size limit in bytes, the oldest messages dropped first (0: none). */
  ordersMaxBytes?: number;
}

export const DEFAULT_TOPOLOGY: Required<TopologyOptions> = {
  replicas: 1,
  duplicateWindowMs: 5 * 60_000,
  ackWaitMs: 5_000,
  maxDeliver: 20,
  ordersMaxAgeMs: 0,
  ordersMaxBytes: 0,
};

export function resolveTopology(options: TopologyOptions | undefined): Required<TopologyOptions> {
  return { ...DEFAULT_TOPOLOGY, ...definedOnly(options ?? {}) };
}

const nanos = (ms: number) => ms * 1_000_000;

/**
 * Connect for the life of a service: reconnect forever (a restarted broker is a normal event),
 * but fail with a clear error when the first connection cannot be made within `timeoutMs`.
 */
export async function connectNats(options: NatsOptions, name: string): Promise<NatsConnection> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const opts: ConnectionOptions = {
    servers: options.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 5_000,
    maxPingOut: 3,
  };
  if (options.token) opts.token = options.token;
  if (options.credsFile) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(options.credsFile);
    } catch (err) {
      throw new ConfigError(`cannot read NATS credentials file ${options.credsFile}: ${errorMessage(err)}`, { cause: err });
    }
    opts.authenticator = credsAuthenticator(creds);
  }
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  do {
    try {
      return await connect(opts);
    } catch (err) {
      lastError = err;
      const message = errorMessage(err);
      // Authentication problems do not get better by waiting.
      if (/auth|permission/i.test(message)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } while (Date.now() < deadline);
  throw new BrokerUnavailableError(
    `cannot connect to NATS at ${[options.servers].flat().join(", ")}: ${errorMessage(lastError)}`,
    { cause: lastError },
  );
}

export function streamConfigs(topology: Required<TopologyOptions>): Array<Partial<StreamConfig> & { name: string }> {
  const maxAgeMs = Math.max(0, topology.ordersMaxAgeMs);
  return [
    {
      name: STREAMS.orders,
      subjects: [subjects.allOrderEvents],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: topology.replicas,
      // The broker refuses a duplicate window longer than the stream keeps its messages.
      duplicate_window: nanos(maxAgeMs > 0 ? Math.min(topology.duplicateWindowMs, maxAgeMs) : topology.duplicateWindowMs),
      discard: DiscardPolicy.Old,
      ...(maxAgeMs > 0 ? { max_age: nanos(maxAgeMs) } : {}),
      ...(topology.ordersMaxBytes > 0 ? { max_bytes: Math.round(topology.ordersMaxBytes) } : {}),
    },
    {
      name: STREAMS.deadLetters,
      subjects: [subjects.allDeadLetters],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: topology.replicas,
      duplicate_window: nanos(topology.duplicateWindowMs),
      discard: DiscardPolicy.Old,
    },
    {
      name: STREAMS.customers,
      subjects: [subjects.allCustomerEvents],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: topology.replicas,
      duplicate_window: nanos(topology.duplicateWindowMs),
      discard: DiscardPolicy.Old,
    },
  ];
}

/**
 * Create the streams when missing. Safe to run twice and from several services at once: a
 * concurrent creator's stream is accepted as it is.
 */
export async function ensureStreams(jsm: JetStreamManager, topology: Required<TopologyOptions>): Promise<void> {
  for (const config of streamConfigs(topology)) {
    await retryWhileSettling(`create stream ${config.name}`, async () => {
      try {
        await jsm.streams.add(config);
      } catch (err) {
        // 10058: the stream exists with another configuration (another version, another creator);
        // 10065: a concurrent creator won the race. Keep the existing stream: changing a live
        // stream under running services is not our call.
        if (/already in use|subjects overlap/i.test(errorMessage(err)) && (await streamExists(jsm, config.name))) return;
        throw err;
      }
    });
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Retry a JetStream API call while the broker is still settling: a cluster electing leaders
 * answers with timeouts or "no responders" (reported as "jetstream is not enabled") for a few
 * seconds, and creating the same replicated stream from several services at once takes time.
 */
export async function retryWhileSettling<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const transient = /timeout|no responders|not enabled|leader|unavailable|insufficient resources|503/i.test(errorMessage(err));
      if (!transient || Date.now() > deadline) throw new BrokerUnavailableError(`could not ${what}: ${errorMessage(err)}`, { cause: err });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}

export interface DurableSpec {
  durable: string;
  /** What it takes on every server version (2.9's one filter subject; the stream's whole `>` for none). */
  filter: string;
  /**
   * On a server with filter_subjects (2.10+, see server-features.ts and durables.ts): the subjects
   * the broker delivers it instead of `filter` (several: filter_subjects; one: filter_subject).
   * Never set for 2.9, which has neither the field nor a cheap filtered pending count.
   */
  filters?: readonly string[];
  /** Fanout consumers (tracking, notification) start at the beginning; shared work queues too. */
  deliver?: DeliverPolicy;
  maxAckPending?: number;
  /**
   * A durable with one instance that applies its messages in stream order (order status, tracking,
   * notification): AckPolicy.All, so one ack settles every message up to it (an ack per batch
   * instead of one per message). Shared work queues (payment, kitchen) stay AckPolicy.Explicit:
   * their instances settle messages independently, out of order.
   */
  ordered?: boolean;
}

export function consumerConfig(spec: DurableSpec, topology: Required<TopologyOptions>): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    // The stream holds only order events: a durable that wants them all gets no filter. JetStream
    // 2.9 counts a filtered consumer's pending messages (for every delivery's metadata) by scanning
    // the stored messages after its position, so a consumer with a filter that is behind pays for
    // its backlog on every delivery: under load the nats-server spent 58% of its CPU there and the
    // pipeline collapsed. Unfiltered, the count is a subtraction.
    ...filterConfig(spec),
    ack_policy: spec.ordered ? AckPolicy.All : AckPolicy.Explicit,
    deliver_policy: spec.deliver ?? DeliverPolicy.All,
    ack_wait: nanos(topology.ackWaitMs),
    max_deliver: topology.maxDeliver,
    max_ack_pending: spec.maxAckPending ?? 10_000,
  };
}

/** A durable's filter fields: none for every order event, filter_subject for one subject, filter_subjects for several. */
function filterConfig(spec: DurableSpec): Pick<ConsumerConfig, "filter_subject" | "filter_subjects"> {
  const filters = spec.filters ?? [spec.filter];
  if (filters.length > 1) return { filter_subject: undefined, filter_subjects: [...filters] };
  return { filter_subject: filters[0] === subjects.allOrderEvents ? undefined : filters[0], filter_subjects: undefined };
}

/** The subjects a consumer's config has it take, sorted (the stream's `>` when it has no filter). */
export function consumerFilters(config: Pick<ConsumerConfig, "filter_subject" | "filter_subjects">): string[] {
  if (config.filter_subjects?.length) return [...config.filter_subjects].sort();
  return [config.filter_subject || subjects.allOrderEvents];
}

/**
 * Create (or align) a durable pull consumer on the ORDERS stream. Idempotent. A durable that
 * already exists with a setting the server will not change in place (its ack policy: one created by
 * an older version of a service) is kept as it is, and its info returned: the consumer runner reads
 * the actual policy from it and acks accordingly.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  spec: DurableSpec,
  topology: Required<TopologyOptions>,
  log?: Logger,
): Promise<ConsumerInfo> {
  const config = consumerConfig(spec, topology);
  return retryWhileSettling(`create consumer ${spec.durable}`, async () => {
    try {
      return await jsm.consumers.add(STREAMS.orders, config);
    } catch (err) {
      // It exists and the server refuses the change (e.g. "ack policy can not be updated"): keep it.
      // Not there at all (a broker still settling, ...): the error is the caller's, or retried.
      let info: ConsumerInfo;
      try {
        info = await jsm.consumers.info(STREAMS.orders, spec.durable);
      } catch {
        throw err;
      }
      info = await alignFilters(jsm, info, config, log);
      if (info.config.ack_policy !== config.ack_policy) {
        log?.warn(
          { action: "consumer_kept", durable: spec.durable, ack_policy: info.config.ack_policy, wanted: config.ack_policy, reason: errorMessage(err) },
          `Durable ${spec.durable} exists with ack policy ${info.config.ack_policy} (this version creates ${config.ack_policy}); keeping it as it is`,
        );
      }
      return info;
    }
  });
}

/**
 * An existing durable whose filter is not this version's (created by an older service, or under
 * another server version: 2.10+ filters the order and notification durables, 2.9 does not) gets
 * this version's filter in place. The server keeps its position and its unacked messages; a
 * narrower filter only skips what the service would skip itself, a wider one delivers from its
 * position on. (2.9 applies a changed create as such an update; 2.10+ answers "consumer already
 * exists" and needs the update.)
 */
async function alignFilters(jsm: JetStreamManager, info: ConsumerInfo, config: Partial<ConsumerConfig>, log?: Logger): Promise<ConsumerInfo> {
  const had = consumerFilters(info.config);
  const wanted = consumerFilters(config);
  if (had.join(" ") === wanted.join(" ")) return info;
  const durable = info.config.durable_name ?? info.name;
  const updated = await jsm.consumers.update(STREAMS.orders, durable, { filter_subject: config.filter_subject, filter_subjects: config.filter_subjects });
  log?.info({ action: "consumer_filter_updated", durable, from: had, to: wanted }, `Durable ${durable} now takes ${wanted.join(", ")} (it took ${had.join(", ")})`);
  return updated;
}

/** Connect, create streams, hand back the manager: the start of every service. */
export async function openJetStream(nc: NatsConnection, topology: Required<TopologyOptions>): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, topology);
  return jsm;
}
