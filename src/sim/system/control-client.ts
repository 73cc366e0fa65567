import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type ServiceName } from "../../services/shared/contracts.js";

/**
 * The harness's client of the services' control subjects (request/reply over NATS): the checker
 * asks what each instance holds, chaos asks an instance to change a setting. A reply that carries
 * `error` is thrown with the instance and verb named.
 */
export async function ask<T>(nc: NatsConnection, service: ServiceName, instance: string, verb: string, body: unknown, timeoutMs = 10_000): Promise<T> {
  const reply = await nc.request(subjects.control(service, instance, verb), JSON.stringify(body), { timeout: timeoutMs });
  const value = reply.json() as T & { error?: string };
  if (value && typeof value === "object" && "error" in value && value.error) throw new Error(`${service}/${instance} ${verb}: ${value.error}`);
  return value;
}

/** Ask one instance for a fault or setting change (payment provider outage, slow kitchen). */
export function control<T = unknown>(nc: NatsConnection, service: ServiceName, instance: string, verb: string, body: unknown): Promise<T> {
  return ask<T>(nc, service, instance, verb, body, 5_000);
}
