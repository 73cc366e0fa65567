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

/**
 * This service instance cannot start because someone else holds what it would use: its name (an
 * instance of that name is online) or its data file (another live process has it open). A
 * ConfigError: the CLI exits with code 2, and the launcher's restart waits while it lasts.
 */
export class InstanceClaimedError extends ConfigError {}

/** An instance of this service and name is online (its presence record is fresh). */
export class InstanceOnlineError extends InstanceClaimedError {
  constructor(readonly service: string, readonly instance: string, readonly holder: string, readonly lastSeen: string) {
    super(`${service} instance "${instance}" is already online (${holder}, last seen ${lastSeen}); pick another --instance or stop that one first`);
  }
}

/** A kitchen worker with this name is already online. */
export class WorkerNameTakenError extends InstanceClaimedError {
  constructor(readonly workerName: string, readonly lastSeen: string) {
    super(`kitchen worker "${workerName}" is already online (last heartbeat ${lastSeen}); pick another --name or stop that worker first`);
  }
}

/** Another live process holds this SQLite file (its lock file names a pid that is alive). */
export class DataFileLockedError extends InstanceClaimedError {
  constructor(readonly file: string, readonly holder: string, readonly lockFile: string) {
    super(`data file ${file} is in use by ${holder} (lock file ${lockFile}); stop that process or give this one another --data-dir or --db`);
  }
}

/**
 * Whether a start failed only because the name or the data file is still held: worth retrying
 * shortly (a crashed holder's heartbeat goes stale, a stopping process lets go). Matches the
 * typed errors, and the same refusals as the one line a child process printed before it exited.
 */
export function isClaimRefusal(err: unknown): boolean {
  if (err instanceof InstanceClaimedError) return true;
  return /is already online|data file .* is in use by/.test(errorMessage(err));
}

/** A message that cannot be processed however often it is delivered (bad JSON, wrong shape). */
export class PoisonMessageError extends PizzeriaError {}

/** What a consumer holding a refused write asks of the database's guard (disk.ts DiskGuard). */
export interface DiskWaits {
  /** Resolves after `ms`, or sooner when the database may take writes again (disk_full released, a commit went through). */
  mayBeWritable(ms: number): Promise<void>;
  /** disk_full holds it and a write was refused: nothing can be stored until the release. */
  readonly shut: boolean;
}

/**
 * The service's database refused a write because its disk is full (SQLITE_FULL, ENOSPC) or will
 * not take writes (an I/O error): nothing of the write is stored. New work is answered 503; a
 * consumer keeps its message (in progress, no delivery spent) and tries the write again later.
 */
export class StorageFullError extends PizzeriaError {
  constructor(
    readonly file: string,
    readonly code: string,
    cause: unknown,
    /** Resolves once the database takes a commit again (or `running()` turns false). */
    readonly untilWritable?: (running: () => boolean) => Promise<void>,
    /** The database's guard: when a refused write may be tried again (FullDiskHold). */
    readonly disk?: DiskWaits,
  ) {
    super(`the database ${file} cannot store the write (${code}: ${errorMessage(cause)})`, { cause });
  }
}

/** The mock payment provider is unavailable (outage or open circuit): retry later. */
export class ProviderUnavailableError extends PizzeriaError {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The seed's `error: {msg, stack}` log field. */
export function errorField(err: unknown): { msg: string; stack?: string } {
  return err instanceof Error ? { msg: err.message, stack: err.stack } : { msg: String(err) };
}
