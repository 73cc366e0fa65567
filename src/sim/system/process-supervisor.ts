import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { noticeFromLine } from "../../services/shared/notices.js";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { COOK_TIME_MS, subjects } from "../../services/shared/contracts.js";
import { errorMessage, PizzeriaError } from "../../services/shared/errors.js";
import { MUTANT_ENV } from "../../services/shared/mutants.js";
import type { RestaurantDefinition } from "../../services/shared/menus.js";
import type { Msg } from "@nats-io/transport-node";
import { connectNats, resolveTopology, type NatsConnection, type NatsOptions } from "../../services/shared/nats.js";
import { freePort } from "./broker.js";
import { formatDuration } from "../scenario/duration.js";
import { Launcher, type InstanceHandle, type InstanceSpec, type NatsRoute } from "./launcher.js";
import { forget, reapOnExit } from "./reaper.js";
import { instanceFiles, outputFile, type SystemSettings } from "./settings.js";
import { serviceNodeFlags } from "./service-node-flags.js";

export interface ProcessSupervisorOptions {
  /** The `pizzeria` CLI to run (default: dist/cli.js, found with `locateCli()`). */
  cliPath?: string;
  /** How long an instance may take to answer its `stats` request (and /health) after spawning. */
  readyTimeoutMs?: number;
  /** How long a graceful stop may take before SIGKILL (a kitchen worker gets at least its cooking time + 15 s). */
  stopGraceMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_STOP_GRACE_MS = 30_000;
/** How much of each child's stdout and stderr is kept for error messages. */
const TAIL_BYTES = 4_096;
/** Environment variables of the harness that children keep (a self-test's mutant too); other PIZZERIA_* would set their options behind our back. */
const KEPT_ENV = new Set(["PIZZERIA_DEBUG", "PIZZERIA_LOG_LEVEL", "PIZZERIA_NATS_SERVER", MUTANT_ENV]);

/**
 * Where the compiled `pizzeria` CLI is: two folders up when it runs from dist/sim/system, or
 * `<repo>/dist/cli.js` when it runs from src (tests). Throws when it is not built.
 */
export function locateCli(): string {
  const here = fileURLToPath(import.meta.url);
  const candidates = [
    ...(here.endsWith(".js") ? [join(dirname(here), "..", "..", "cli.js")] : []),
    join(dirname(here), "..", "..", "..", "dist", "cli.js"),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`cannot run services as processes: the pizzeria CLI is not built (looked for ${candidates.join(", ")}); run npm run build`);
  return found;
}

const ms = (value: number) => `${Math.round(value)}ms`;

/**
 * The environment of a service process: the harness's, without PIZZERIA_* variables (they would
 * set the child's options behind our back) except a few, plus the NATS token if there is one
 * (`PIZZERIA_NATS_TOKEN`, read like any option: a secret in the arguments would show in `ps`).
 */
export function serviceEnv(nats: NatsOptions, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(base).filter(([k]) => !k.startsWith("PIZZERIA_") || KEPT_ENV.has(k)));
  if (nats.token) env.PIZZERIA_NATS_TOKEN = nats.token;
  return env;
}

/**
 * The arguments after `cli.js` that run one instance as `pizzeria service <service> ...`: the same
 * options the in-process launcher passes to the service's `start()`, as that command's flags.
 * HTTP services need a concrete port here (pick one with `freePort()` for port 0).
 */
export function serviceArgs(spec: InstanceSpec, nats: NatsOptions, settings: SystemSettings): string[] {
  const { dbFile, logFile } = instanceFiles(settings.runDir, spec.service, spec.instance);
  const topology = resolveTopology(settings.topology);
  const args = ["service", spec.service, "--nats", [nats.servers].flat().join(",")];
  // A token goes in the environment (serviceEnv), not here: arguments are visible to anyone running `ps`.
  if (nats.credsFile) args.push("--nats-creds", nats.credsFile);
  if (nats.connectTimeoutMs !== undefined) args.push("--connect-timeout", ms(nats.connectTimeoutMs));
  args.push("--db", dbFile, "--log-file", logFile);
  if (spec.metricsPort !== undefined) args.push("--metrics-port", String(spec.metricsPort));
  if (settings.logLevel) args.push("--log-level", settings.logLevel);
  args.push("--ack-wait", ms(topology.ackWaitMs), "--max-deliver", String(topology.maxDeliver), "--replicas", String(topology.replicas));
  // The run's retention, as in-process: a child that creates the streams (a broker restarted empty) bounds them alike.
  args.push("--retention-age", ms(topology.ordersMaxAgeMs), "--retention-bytes", String(topology.ordersMaxBytes));
  const opt = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) args.push(flag, String(value));
  };
  switch (spec.service) {
    case "order":
      opt("--instance", spec.instance);
      opt("--port", spec.port);
      opt("--max-concurrent", spec.maxConcurrent);
      break;
    case "payment":
      opt("--instance", spec.instance);
      opt("--failure-rate", spec.provider?.failureRate);
      opt("--latency", spec.provider?.latencyMs === undefined ? undefined : ms(spec.provider.latencyMs));
      opt("--concurrency", spec.concurrency);
      opt("--seed", spec.provider?.seed);
      break;
    case "restaurant":
      opt("--instance", spec.instance);
      opt("--port", spec.port);
      opt("--seed", spec.seed);
      opt("--restaurants", spec.restaurants ? restaurantsFile(settings.runDir, spec.instance, spec.restaurants) : undefined);
      break;
    case "kitchen":
      opt("--name", spec.instance);
      opt("--restaurant", spec.worker?.restaurant);
      opt("--order-types", spec.worker?.orderTypes?.length ? spec.worker.orderTypes.join(",") : undefined);
      opt("--prefetch", spec.worker?.prefetch);
      opt("--heartbeat-interval", settings.heartbeatIntervalMs === undefined ? undefined : ms(settings.heartbeatIntervalMs));
      opt("--time-scale", settings.timeScale);
      opt("--cook-time", settings.cookTimeMs === undefined ? undefined : ms(settings.cookTimeMs));
      break;
    case "tracking":
      opt("--instance", spec.instance);
      opt("--port", spec.port);
      opt("--time-scale", settings.timeScale);
      break;
    case "notification":
      opt("--instance", spec.instance);
      break;
    case "customer":
    case "reporting":
      opt("--instance", spec.instance);
      opt("--port", spec.port);
      break;
  }
  return args;
}

/** The restaurants of a restaurant instance, in a JSON file in the run directory its `--restaurants` names. */
function restaurantsFile(runDir: string, instance: string, restaurants: readonly RestaurantDefinition[]): string {
  const file = join(runDir, `restaurants-${instance}.json`);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(file, JSON.stringify(restaurants, null, 2));
  return file;
}

/** A child's stdout, appended to its output file as it comes (the checker reads what the subscribers printed). */
function keepOutput(file: string, chunk: Buffer): void {
  try {
    appendFileSync(file, chunk);
  } catch {
    // A run directory that cannot take it: the checker finds the lines missing.
  }
}

/** The last `limit` bytes of a stream of output. */
class Tail {
  private text = "";
  constructor(private readonly limit: number) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  /** The last line worth showing: the CLI's own `pizzeria: ...` error when there is one. */
  lastLine(): string {
    const lines = this.text.split("\n").map((l) => l.trim()).filter(Boolean);
    const own = lines.filter((l) => l.startsWith("pizzeria: ") && !/PIZZERIA_DEBUG/.test(l)).pop();
    if (own) return own.replace(/^pizzeria: /, "");
    // A Node.js crash: the error line, not the stack frames or the version footer.
    const useful = lines.filter((l) => !/^(at |Node\.js v\d|\^+$|\{|\}$)/.test(l));
    return useful.filter((l) => /Error\b/.test(l)).pop() ?? useful.pop() ?? "";
  }
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function describeExit({ code, signal }: Ended): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** An instance could not bind its port (someone took it between our probe and its bind): try another. */
class PortTaken extends PizzeriaError {}

/**
 * Runs every instance of the roster as its own `pizzeria service <name>` process. Each child is
 * spawned detached (its own process group: a Ctrl-C in the terminal reaches only the harness,
 * which then stops the children in order) and registered with the reaper, so none outlives the
 * harness. An instance is up once it answers its `stats` control request over NATS (and, for the
 * HTTP services, GET /health); everything else the harness learns travels over NATS too, exactly
 * as with the in-process launcher.
 */
export class ProcessSupervisor extends Launcher {
  private cli: string | null;
  private readonly readyTimeoutMs: number;
  private readonly stopGraceMs: number;
  /** The connection readiness checks are asked over (lazily opened; closed by stopAll/close). */
  private control: Promise<NatsConnection> | null = null;

  constructor(settings: SystemSettings, options: ProcessSupervisorOptions = {}, route?: NatsRoute) {
    super(settings, route);
    this.cli = options.cliPath ?? null;
    this.readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  protected async launch(spec: InstanceSpec, nats: NatsOptions): Promise<InstanceHandle> {
    if (!this.cli) this.cli = locateCli();
    else if (!existsSync(this.cli)) throw new Error(`cannot run services as processes: no pizzeria CLI at ${this.cli}`);
    const control = await this.controlConnection();
    const http = spec.service === "order" || spec.service === "tracking" || spec.service === "restaurant" || spec.service === "customer" || spec.service === "reporting";
    const fixedPort = http && spec.port ? spec.port : undefined;
    for (let attempt = 1; ; attempt++) {
      // Port 0: pick one now so the URL is known; another process may take it first, so retry.
      const port = http ? (fixedPort ?? (await freePort())) : undefined;
      // Without HTTP, a metrics port of its own, picked here for the same reason (kept across restarts).
      const metricsPort = http ? undefined : spec.metricsPort || (await freePort());
      try {
        return await this.spawnInstance(this.cli, control, { ...spec, port, metricsPort }, nats);
      } catch (err) {
        if (!(err instanceof PortTaken) || fixedPort !== undefined || attempt >= 3) throw err;
      }
    }
  }

  /** Stop every instance gracefully, then close the readiness connection. */
  override async stopAll(): Promise<void> {
    await super.stopAll();
    const control = this.control;
    this.control = null;
    if (control) await control.then((nc) => nc.close()).catch(() => undefined);
  }

  /** The same as `stopAll()`: nothing of this supervisor is left running afterwards. */
  close(): Promise<void> {
    return this.stopAll();
  }

  private controlConnection(): Promise<NatsConnection> {
    this.control ??= connectNats(this.settings.nats, "pizzeria:supervisor").catch((err) => {
      this.control = null;
      throw err;
    });
    return this.control;
  }

  /** The longest a graceful stop may take: a kitchen worker finishes the order on its stove (up to its cooking time + 5 s). */
  private graceFor(spec: InstanceSpec): number {
    if (spec.service !== "kitchen") return this.stopGraceMs;
    const s = this.settings;
    const cook = s.cookTimeMs ?? Math.max(...Object.values(COOK_TIME_MS)) / (s.timeScale && s.timeScale > 0 ? s.timeScale : 1);
    return Math.max(this.stopGraceMs, cook + 15_000);
  }

  private async spawnInstance(cli: string, control: NatsConnection, spec: InstanceSpec, nats: NatsOptions): Promise<InstanceHandle> {
    const env = serviceEnv(nats, process.env);
    const child = spawn(process.execPath, [...serviceNodeFlags(env), cli, ...serviceArgs(spec, nats, this.settings)], { stdio: ["ignore", "pipe", "pipe"], detached: true, env });
    const pid = child.pid;
    const stdout = new Tail(TAIL_BYTES);
    const stderr = new Tail(TAIL_BYTES);
    const printed = outputFile(this.settings.runDir, spec.service, spec.instance);
    child.stdout!.on("data", (c: Buffer) => {
      stdout.push(c);
      keepOutput(printed, c);
    });
    let partial = "";
    child.stderr!.on("data", (c: Buffer) => {
      stderr.push(c);
      // Its notices (a full disk, a log it cannot write) are the run's to show.
      const lines = (partial + c.toString()).split("\n");
      partial = lines.pop()!.slice(-4_000);
      for (const line of lines) {
        const notice = noticeFromLine(line);
        if (notice) this.passNotice(notice);
      }
    });
    if (pid !== undefined) reapOnExit(pid);
    child.unref();

    let alive = pid !== undefined;
    let settled: Ended | null = null;
    // Resolves once the child is gone and its output is read ('close'), or shortly after 'exit'
    // should something else hold its pipes open.
    const ended = new Promise<Ended>((resolve) => {
      const done = (how: Ended) => {
        if (settled) return;
        settled = how;
        resolve(how);
      };
      child.on("error", (err) => {
        stderr.push(`pizzeria: ${errorMessage(err)}\n`);
        if (pid === undefined) done({ code: null, signal: null });
      });
      child.once("exit", (code, signal) => {
        alive = false;
        if (pid !== undefined) forget(pid);
        setTimeout(() => done({ code, signal }), 1_000).unref();
      });
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => done({ code, signal }));
    });
    const send = (signal: NodeJS.Signals) => {
      if (!alive || pid === undefined) return;
      try {
        process.kill(-pid, signal); // the child leads its own process group
      } catch {
        child.kill(signal);
      }
    };

    const url = spec.port !== undefined ? `http://127.0.0.1:${spec.port}` : undefined;
    const metricsUrl = spec.metricsPort !== undefined ? `http://127.0.0.1:${spec.metricsPort}/metrics` : url && `${url}/metrics`;
    const lastOutput = () => stderr.lastLine() || stdout.lastLine() || "(no output)";
    const deadline = Date.now() + this.readyTimeoutMs;
    let notYet = "";
    for (;;) {
      if (settled) {
        const text = lastOutput();
        const message = `${spec.id} exited during start (${describeExit(settled)}): ${text}`;
        throw /EADDRINUSE|address already in use/i.test(text) ? new PortTaken(message) : new Error(message);
      }
      if (Date.now() > deadline) {
        send("SIGKILL");
        await ended;
        throw new Error(
          `${spec.id} did not become ready within ${formatDuration(this.readyTimeoutMs)} (${notYet}); ` +
            `last output: ${lastOutput()}; log: ${instanceFiles(this.settings.runDir, spec.service, spec.instance).logFile}`,
        );
      }
      try {
        await Promise.race([isReady(control, spec, pid, url), ended.then(() => undefined)]);
        if (!settled) break;
      } catch (err) {
        notYet = errorMessage(err);
      }
      if (!settled) await Promise.race([new Promise((r) => setTimeout(r, 100)), ended]);
    }

    let expected = false;
    const grace = this.graceFor(spec);
    const handle: InstanceHandle = {
      pid,
      url,
      port: spec.port,
      metricsUrl,
      metricsPort: spec.metricsPort,
      async stop() {
        expected = true;
        send("SIGCONT"); // a frozen process cannot act on SIGTERM
        send("SIGTERM");
        const timer = setTimeout(() => send("SIGKILL"), grace);
        await ended;
        clearTimeout(timer);
      },
      async abort() {
        expected = true;
        send("SIGKILL");
        await ended;
      },
      pause: () => send("SIGSTOP"),
      resume: () => send("SIGCONT"),
    };
    void ended.then((how) => {
      if (!expected) this.markExited(spec.id, handle, `exited on its own (${describeExit(how)}): ${lastOutput()}`);
    });
    return handle;
  }
}

/**
 * Whether a `stats` reply comes from the process `pid`: replies that carry a `pid` (a kitchen
 * worker's record does) must name it; others are taken as ours. Throws on an `{error}` reply.
 */
function answeredBy(reply: Msg, pid: number | undefined): boolean {
  const body = JSON.parse(reply.string()) as { error?: string; pid?: unknown };
  if (body.error !== undefined) throw new Error(`stats answered ${JSON.stringify(body)}`);
  return typeof body.pid !== "number" || body.pid === pid;
}

/**
 * Resolves when the child `pid` answers `stats` (and GET /health with 200); rejects with what is
 * missing. Another live process of the same name (a twin kitchen worker that the child is about to
 * be refused for) also answers on that subject: its reply does not count.
 */
async function isReady(control: NatsConnection, spec: InstanceSpec, pid: number | undefined, url: string | undefined): Promise<void> {
  const subject = subjects.control(spec.service, spec.instance, "stats");
  if (!answeredBy(await control.request(subject, "", { timeout: 1_000 }), pid)) {
    let ours = false;
    for await (const reply of await control.requestMany(subject, "", { strategy: "stall", stall: 250, maxWait: 1_000 })) {
      if (answeredBy(reply, pid)) {
        ours = true;
        break;
      }
    }
    if (!ours) throw new Error(`${subject} is answered by another process of the same name, not by pid ${pid}`);
  }
  if (url) {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status !== 200) throw new Error(`GET ${url}/health answered ${res.status}`);
  }
}
