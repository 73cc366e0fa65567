/**
 * Small typed errors in the style of nats.js: each has a `name` to match on and keeps its `cause`.
 */
export class PizzeriaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Configuration or input that cannot work; the CLI turns it into exit code 2. */
export class ConfigError extends PizzeriaError {}

/** nats-server is not installed or not on PATH. */
export class NatsServerNotFoundError extends PizzeriaError {}

/** The broker could not be reached or did not become ready in time. */
export class BrokerUnavailableError extends PizzeriaError {}

/** A kitchen worker with this name is already online. */
export class WorkerNameTakenError extends PizzeriaError {
  constructor(readonly workerName: string, readonly lastSeen: string) {
    super(`kitchen worker "${workerName}" is already online (last heartbeat ${lastSeen}); pick another --name or stop that worker first`);
  }
}

/** A message that cannot be processed however often it is delivered (bad JSON, wrong shape). */
export class PoisonMessageError extends PizzeriaError {}

/** The mock payment provider is unavailable (outage or open circuit): retry later. */
export class ProviderUnavailableError extends PizzeriaError {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The seed's `error: {msg, stack}` log field. */
export function errorField(err: unknown): { msg: string; stack?: string } {
  return err instanceof Error ? { msg: err.message, stack: err.stack } : { msg: String(err) };
}
