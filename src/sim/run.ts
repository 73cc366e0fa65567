import { EventEmitter } from "node:events";
import { join } from "node:path";
import { isWorkerOnline, ORDER_TYPES, STREAMS } from "../services/shared/contracts.js";
import { connectNats, type NatsConnection, type NatsOptions } from "../services/shared/nats.js";
import { activeMutant } from "../services/shared/mutants.js";
import { arrivalCount, arrivalsFor, plannedCount, targetRateAt } from "./load/arrivals.js";
import { Chaos, type FaultRequest } from "./faults/chaos.js";
import { requestRecords } from "./check/fault-refusals.js";
import { collectAccounts, collectConsumers } from "./check/collect.js";
import { DeadLetterTally } from "./check/dead-letter-tally.js";
import { checkStreamed, collectEvidence, judgeOnceSettled } from "./check/collect-evidence.js";
import { drain, lastStretchMs, type DrainOutcome } from "./telemetry/drain.js";
import { decodeDeadLetter, decodeTapped, StreamTap } from "./telemetry/event-tap.js";
import { serveHarnessControl, writeCurrentRun } from "./harness-control.js";
import type { InstanceInfo, InstanceNotice } from "./system/launcher.js";
import { LoadRunner, type RequestOutcome } from "./load/load-runner.js";
import { journeyOptions } from "./load/journey-setup.js";
import { JourneyTally } from "./telemetry/journey-figures.js";
import { causeLabel } from "./load/error-causes.js";
import { Metrics } from "./telemetry/metrics.js";
import { QueueWatch, WorkerWatch } from "./telemetry/observers.js";
import { OrderGenerator } from "./load/order-generator.js";
import { OrderLedger } from "./telemetry/order-ledger.js";
import type { BacklogSample } from "./telemetry/recovery.js";
import { serviceViews, ThresholdWatch, workerState, workerViews } from "./telemetry/run-views.js";
import type { TimelineFile } from "./telemetry/timeline-file.js";
import { RunRecorder } from "./telemetry/recorded.js";
import { writeReportFile } from "./telemetry/report-file.js";
import { RestaurantWatch } from "./telemetry/restaurant-watch.js";
import { notificationLine } from "../services/notification/index.js";
import { buildReport, round } from "./telemetry/report.js";
import type { FaultRecord, LogEntry, RunControl, RunEventMap, RunMode, RunReport, RunStart, RunState, RunTick } from "./telemetry/run-events.js";
import type { Scenario } from "./scenario/scenario.js";
import { openSession, type Session } from "./session.js";
import { runStartOf } from "./telemetry/run-start.js";
import { openRunOutputs, type RunOutput } from "./outputs/run-outputs.js";
import { retentionTopology, runRetention } from "./scenario/retention.js";

export interface RunOptions {
  scenario: Scenario;
  /** Use this NATS instead of starting one. */
  nats?: NatsOptions;
  runDir?: string;
  mode?: RunMode;
  /** How often `tick` is emitted (default 1 s). */
  tickMs?: number;
  logLevel?: string;
  /** A TCP proxy between each service and NATS (needed for network faults). */
  proxies?: boolean;
  /** Nodes of a local JetStream cluster (overrides the scenario's `cluster`). */
  cluster?: number;
  /**
   * `up`: offer no load and run until `finish()`; follow every order placed by anyone, and at the
   * end check all of them (each as if a request of ours had made it). `adopt`: only that last part.
   */
  observe?: boolean;
  adopt?: boolean;
  /** HTTP ports of the first order and tracking instances (default: any free port). */
  orderPort?: number;
  trackingPort?: number;
  /** Outputs (k6 style: they listen, then write at the end) on top of report.html, which every run writes. */
  outputs?: RunOutput[];
}

/**
 * One run of a scenario: boot the system, offer the load on schedule, inject the faults on time,
 * drain, check, report. It emits typed events (start, tick, fault, log, notification, done) and
 * never draws; it takes commands through RunControl (pause the load, inject a fault, finish).
 */
export class ScenarioRun extends EventEmitter<RunEventMap> implements RunControl {
  private readonly scenario: Scenario;
  readonly metrics = new Metrics();
  private readonly ledger: OrderLedger;
  private state: RunState = "starting";
  private session: Session | null = null;
  private nc: NatsConnection | null = null;
  private runner: LoadRunner | null = null;
  private chaos: Chaos | null = null;
  private timeline: TimelineFile | null = null;
  private recorded: RunRecorder | null = null; // the stream and the requests, on disk for the check: not in memory
  /** Every dead letter of the run, for the checker (it must be explained by an injected poison message). */
  private readonly deadLetters = new DeadLetterTally();
  private finishing = false;
  private lastPhase = -1;
  private readonly thresholdWatch: ThresholdWatch;
  private readonly restaurants: RestaurantWatch;
  private readonly backlog: BacklogSample[] = [];
  private readonly journeys: JourneyTally; // the journeys' figures and records (runs with `journeys:`)

  constructor(private readonly options: RunOptions) {
    super();
    this.scenario = options.scenario;
    this.journeys = new JourneyTally(this.scenario.journeys?.map((j) => j.name) ?? [], () => this.now());
    this.ledger = new OrderLedger(options.observe === true || options.adopt === true, { onAdopt: (requestId, orderNumber) => this.recorded?.adopted(requestId, orderNumber), faults: () => this.chaos?.records ?? [] });
    this.thresholdWatch = new ThresholdWatch(this.scenario.expect, (level, message) => this.log(level, "threshold", message));
    this.restaurants = new RestaurantWatch(this.scenario, (level, message) => this.log(level, "restaurant", message), () => this.session?.launcher.urls("restaurant")[0]);
  }

  /** A broker of our own (this machine's clock): events are timed by when the stream stored them, not when the tap saw them. */
  private get ownBroker(): boolean {
    return Boolean(this.session?.broker || this.session?.cluster);
  }

  /** The load clock: ms since load start, pauses excluded (0 before the load starts). */
  private now(): number {
    return this.runner ? Math.max(0, this.runner.now()) : 0;
  }

  /** What the system holds: orders in flight and requests it has not answered yet. */
  private backlogNow = (): number => this.ledger.inFlight + (this.runner?.awaitingAnswer ?? 0);

  async run(): Promise<RunReport> {
    const { scenario: s, options: o } = this;
    const mode = o.mode ?? s.mode;
    const session = await openSession({
      label: s.name, roster: s.roster, mode, nats: o.nats, runDir: o.runDir, logLevel: o.logLevel, proxies: o.proxies, cluster: o.cluster ?? s.cluster,
      timeScale: s.timeScale, cookTimeMs: s.cookTimeMs, heartbeatIntervalMs: s.heartbeatIntervalMs,
      orderPort: o.orderPort ?? 0, trackingPort: o.trackingPort ?? 0,
      topology: retentionTopology(s.retention ?? runRetention(s.durationMs, s.drainTimeoutMs)),
    });
    this.session = session;
    const cleanups: Array<() => Promise<void> | void> = [() => this.restaurants.stop()];
    const outputs = await openRunOutputs(this, this.options.outputs, (message) => this.log("error", "run", message));
    let report: RunReport | null = null;
    try {
      return (report = await this.drive(session, mode, cleanups));
    } finally {
      await outputs.stop(report); // a run that failed still gets its pictures, of what it saw
      for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
      await session.close();
      await this.recorded?.end();
    }
  }

  private async drive(session: Session, mode: RunMode, cleanups: Array<() => Promise<void> | void>): Promise<RunReport> {
    const s = this.scenario;
    this.recorded = new RunRecorder(session.runDir, (err, path) => this.log("error", "run", `cannot write the run's ${path.endsWith("requests.ndjson") ? "requests" : "timeline"} ${path}: ${err.message}; the run goes on without it (the check keeps what it needs in memory)`));
    this.timeline = this.recorded.timeline;
    const nc = await connectNats(session.nats, "harness");
    this.nc = nc;
    cleanups.push(() => nc.close());
    const launcher = session.launcher;
    const onInstance = (i: InstanceInfo) => this.serviceChanged(i);
    const onNotice = (n: InstanceNotice) => this.log(n.level, "service", `${n.id}: ${n.message}`);
    launcher.on("instance", onInstance);
    const stopNotices = launcher.listenNotices(onNotice);
    cleanups.push(() => void launcher.off("instance", onInstance), stopNotices);

    const ownBroker = this.ownBroker;
    const since = ownBroker ? undefined : new Date();
    // With a broker of our own (this machine's clock) an event is timed by when the stream stored
    // it, so the tap may gather events for 20 ms without adding to any latency it measures; with
    // someone else's broker (another clock) by when the tap saw it, and the tap does not linger.
    const ordersTap = new StreamTap({ nc, stream: STREAMS.orders, since, lingerMs: ownBroker ? 20 : 0, onMessage: (raw) => this.onOrderMessage(raw) });
    const dlqTap = new StreamTap({ nc, stream: STREAMS.deadLetters, since, onMessage: (raw) => this.onDeadLetter(raw.data) });
    cleanups.push(() => ordersTap.stop(), () => dlqTap.stop());
    const workers = await WorkerWatch.start(nc, session.settings.topology?.replicas ?? 1);
    cleanups.push(() => workers.stop());
    const queues = await QueueWatch.create(nc, () => ordersTap.lastSeq);

    // Told the exact count, the generator sends every invalid kind and an exact invalid share.
    const generator = new OrderGenerator(s, { planned: arrivalCount(s) });
    const startedAt = Date.now();
    const runner = new LoadRunner({
      // A frozen order service still gets its share: the stall then shows in the latency figures.
      targets: () => launcher.urls("order", { paused: true }),
      arrivals: arrivalsFor(s),
      next: () => generator.next(),
      startedAt,
      timeoutMs: s.requestTimeoutMs,
      onSent: (_planned, _due, sentMs, late) => this.metrics.sent(sentMs, late),
      onRequestId: (requestId, due) => this.ledger.planned(requestId, due),
      onOutcome: (o) => this.onOutcome(o),
      customerTargets: () => launcher.urls("customer", { paused: true }),
      keepOutcomes: false,
      journeys: journeyOptions(s, launcher, this.journeys),
    });
    this.runner = runner;
    this.chaos = new Chaos({ mode, launcher, proxies: session.proxies, broker: session.broker, cluster: session.cluster, nc, now: () => this.now(), inFlight: () => this.backlogNow() }, (f) => this.onFault(f));

    const forgetCurrent = writeCurrentRun({ nats: [session.nats.servers].flat(), runDir: session.runDir, pid: process.pid, label: s.name, startedAt: new Date(startedAt).toISOString() }, undefined, (m) => this.log("warn", "run", m));
    const harnessControl = serveHarnessControl(nc, {
      inject: (req) => this.inject(req),
      status: () => ({ label: s.name, state: this.state, elapsedMs: Math.round(this.now()), runDir: session.runDir, services: serviceViews(this.session?.launcher) }),
    });
    cleanups.push(forgetCurrent, () => harnessControl.stop());

    this.state = "running";
    const endpoints = { order: launcher.urls("order"), tracking: launcher.urls("tracking"), restaurant: launcher.urls("restaurant"), customer: launcher.urls("customer"), reporting: launcher.urls("reporting"), metrics: launcher.metricsTargets() };
    const start = runStartOf(s, { mode, broker: this.brokerDescription(session), runDir: session.runDir, startedAt, endpoints });
    this.write("start", start);
    this.emit("start", start);

    const tickTimer = setInterval(() => void this.tick(queues, workers), this.options.tickMs ?? 1_000);
    cleanups.push(() => clearInterval(tickTimer));
    const chaosLoop = this.chaos.schedule(s.chaos);
    let loadFinished = false;
    const loadDone = runner.start().finally(() => (loadFinished = true));
    // The scenario may run on after its last arrival (a quiet tail): wait for both.
    while (!this.finishing && (this.options.observe || this.now() < s.durationMs || !loadFinished)) {
      await (loadFinished ? new Promise((r) => setTimeout(r, 100)) : Promise.race([loadDone, new Promise((r) => setTimeout(r, 100))]));
    }
    runner.stop();
    await loadDone;
    await chaosLoop.stop();

    // Drain: end open faults, then wait until every order of ours is finished and every consumer idle.
    this.state = "draining";
    this.log("info", "run", `${this.options.observe ? "stopping" : "load finished"}; draining (up to ${Math.round(s.drainTimeoutMs / 1000)} s)`);
    await this.chaos.endAll();
    const drainOutcome = await drain({
      timeoutMs: s.drainTimeoutMs,
      stretchMs: lastStretchMs(s),
      poll: async () => {
        await queues.poll();
        await ordersTap.checkProgress();
      },
      quiet: () => this.ledger.inFlight === 0 && queues.idle() && ordersTap.caughtUp,
      finished: () => this.ledger.finished,
      pause: () => new Promise((r) => setTimeout(r, 100)),
    });
    const { drained, ms: drainMs } = drainOutcome;
    // The workers' records (their state and counts in the report) catch up a moment after the last order.
    const settleUntil = Date.now() + 2_000;
    while (drained && !workers.idle() && Date.now() < settleUntil) await new Promise((r) => setTimeout(r, 50));
    this.log(drained ? "info" : "warn", "run", drained ? `drained in ${drainMs} ms` : `not drained after ${drainMs} ms: ${this.ledger.inFlight} orders still in flight${drainOutcome.stillFinishing ? ", still finishing" : ", none finished lately"}`);

    this.state = "checking";
    await this.tick(queues, workers);
    await dlqTap.catchUp(5_000); // every dead letter is judged: have them all
    const report = await this.check(session, mode, workers, drainOutcome, startedAt);
    writeReportFile(session.runDir, report, (m) => this.log("error", "run", m), (text) => process.stdout.write(text));
    this.state = "done";
    this.write("done", report);
    this.emit("done", report);
    return report;
  }

  /** Collects each service's own account, checks it, and has the report built. */
  private async check(session: Session, mode: RunMode, workers: WorkerWatch, drainOutcome: DrainOutcome, startedAt: number): Promise<RunReport> {
    const s = this.scenario;
    const { drained, ms: drainMs, stillFinishing } = drainOutcome;
    // Each service's own account, asked over NATS (the same in both modes).
    const instances = session.launcher.list();
    const { orders, notifications, silent } = await collectAccounts(this.nc!, instances, (message) => this.log("error", "run", message));
    // The stream as it stood when the records were taken: a system still working (not drained)
    // goes on adding to it while the rest is collected, and records must not look behind it.
    const streamLength = this.recorded!.streamLength;
    const consumers = await collectConsumers(this.nc!, instances).catch((err: Error) => (this.log("error", "run", `could not list the consumers: ${err.message}`), []));
    // Read models, printed lines, payment ledgers: what else the services say, checked against the stream too.
    const evidence = await collectEvidence(this.nc!, instances, session.runDir, (message) => this.log("error", "run", message));
    const { stream, requests: answers } = await this.recorded!.readForCheck(streamLength, (message) => this.log("error", "run", message));
    const requests = requestRecords(answers, this.chaos!.records);
    const deadLetters = { letters: this.deadLetters.records, injected: this.chaos!.injected, consumers };
    const roster = s.roster.kitchen.map((w) => ({ name: w.name, types: w.orderTypes?.length ? w.orderTypes : ORDER_TYPES, ...(w.restaurant ? { restaurant: w.restaurant } : {}) }));
    // The stream read from the timeline a message at a time, each order judged as it ends (check/online-check.ts).
    const verdict = await judgeOnceSettled(this.nc!, instances, { requests, orders, notifications, drained, stillFinishing, deadLetters, silent, ...evidence, roster, journeys: this.journeys.records }, async (input) => (await checkStreamed(input, stream)).verdict);

    return buildReport({
      scenario: s, runDir: session.runDir, mode, broker: this.brokerDescription(session), startedAt,
      durationMs: Date.now() - startedAt, loadClockMs: this.now(), observe: this.options.observe ?? false,
      plannedOrders: Math.round(plannedCount(s.load)),
      answers: requests.map((r) => ({ valid: r.intendedValid, status: r.status })),
      verdict,
      drain: { drained, ms: drainMs },
      metrics: this.metrics,
      ledger: this.ledger,
      workers: [...workers.records.values()].map((record) => ({ record, state: workerState(record.name, record.state, isWorkerOnline(record), session.launcher) })),
      services: serviceViews(this.session?.launcher),
      faults: this.chaos!.records,
      backlog: this.backlog,
      deadLetters: this.deadLetters.count, deadLetterSamples: this.deadLetters.samples,
      mutant: activeMutant(),
      restaurants: this.restaurants.totals(),
      journeys: this.journeys.any ? this.journeys.figures() : undefined,
    });
  }

  private brokerDescription(session: Session): RunStart["broker"] {
    return { kind: session.cluster ? "cluster" : session.broker ? "local" : "external", urls: [session.nats.servers].flat(), version: this.nc?.info?.version ?? "unknown" };
  }

  // ---- RunControl -------------------------------------------------------------------------

  pauseLoad(): void {
    if (this.state !== "running" || !this.runner) return;
    this.runner.pause();
    this.state = "paused";
    this.log("info", "run", "load paused");
  }

  resumeLoad(): void {
    if (this.state !== "paused" || !this.runner) return;
    this.runner.resume();
    this.state = "running";
    this.log("info", "run", "load resumed");
  }

  async inject(fault: FaultRequest): Promise<FaultRecord> {
    if (!this.chaos || this.state === "done" || this.state === "starting") throw new Error("the run is not running");
    return this.chaos.inject(fault, "manual");
  }

  finish(): void {
    if (this.finishing) return;
    this.finishing = true;
    this.runner?.resume();
    this.runner?.stop();
    this.log("info", "run", "finishing early: no more orders; draining");
  }

  // ---- event handling ---------------------------------------------------------------------

  private onOrderMessage(raw: { seq: number; subject: string; data: string; storedAtMs: number }): void {
    const tapped = decodeTapped(raw);
    const at = this.ownBroker ? Math.max(0, this.now() - Math.max(0, Date.now() - raw.storedAtMs)) : this.now();
    this.recorded?.orderEvent(raw, tapped, at);
    if (!tapped.event) return;
    const e = tapped.event;
    const { stage, sinceScheduledMs } = this.ledger.event(e, at);
    this.restaurants.event(e, this.ledger.placedElsewhere(e.order_number));
    if (this.ledger.has(e.order_number)) this.emit("order", { atMs: Math.round(at), orderNumber: e.order_number, kind: e.kind, by: e.by });
    if (!stage) return;
    this.metrics.stage(at, stage);
    if (sinceScheduledMs !== null) this.metrics.latency(at, e.kind === "ready" ? "ready" : "endToEnd", sinceScheduledMs);
    if (e.from !== null && e.to !== null) this.emit("notification", { atMs: Math.round(at), line: notificationLine(e) });
  }

  private onDeadLetter(data: string): void {
    const letter = decodeDeadLetter(data);
    this.deadLetters.add(letter);
    this.log("warn", "dead_letter", letter ? `dead letter from ${letter.consumer}: ${letter.reason}` : "dead letter (unreadable)");
  }

  private onOutcome(o: RequestOutcome): void {
    this.recorded?.outcome(o);
    if (o.status >= 400 && o.status < 500) this.ledger.refused(o.requestId);
    this.metrics.outcome(o.sentMs, o);
    // The first failure of each cause is told with what it said; the rest are counted.
    if (o.cause && this.metrics.requests.errorCauses[o.cause] === 1) this.log("warn", "run", `first request ${causeLabel(o.cause)}: ${o.error ?? `HTTP ${o.status}`} (the rest are counted)`);
    if (o.status === 201 && o.orderNumber) this.ledger.accepted(o.orderNumber, o.requestId, o.sentMs);
  }

  /** Views show faults from these records themselves (start and end share an id). */
  private onFault(f: FaultRecord): void {
    this.write("fault", f);
    this.emit("fault", f);
  }

  private serviceChanged(i: InstanceInfo): void {
    if (this.state === "starting") return;
    const level = i.state === "crashed" || i.state === "failed" ? "error" : i.state === "up" ? "info" : "warn";
    this.log(level, "service", `${i.id} ${i.state}${i.lastError ? `: ${i.lastError}` : ""}`);
  }

  private log(level: LogEntry["level"], kind: LogEntry["kind"], message: string): void {
    const entry: LogEntry = { atMs: Math.round(this.now()), level, kind, message };
    this.write("log", entry);
    this.emit("log", entry);
  }

  private write = (type: string, data: unknown): void => void this.timeline?.write(type, data);

  private async tick(queues: QueueWatch, workers: WorkerWatch): Promise<void> {
    if (!this.runner) return;
    await queues.poll();
    const now = this.now();
    const s = this.scenario;
    const phaseIndex = s.load.findIndex((p) => now >= p.startMs && now < p.startMs + p.durationMs);
    if (phaseIndex !== this.lastPhase && phaseIndex >= 0) {
      this.lastPhase = phaseIndex;
      const p = s.load[phaseIndex];
      this.log("info", "phase", `phase ${phaseIndex + 1}/${s.load.length}: ${p.rate}${p.rampTo !== p.rate ? ` -> ${p.rampTo}` : ""} orders/s (${p.arrival})`);
    }
    this.backlog.push({ atMs: Math.round(now), inFlight: this.backlogNow() });
    const latency = this.metrics.rolling(now);
    this.thresholdWatch.update(latency);
    const second = Math.max(0, Math.floor(now / 1000) - 1);
    const tick: RunTick = {
      elapsedMs: Math.round(now),
      state: this.state,
      phaseIndex,
      targetRate: this.state === "running" ? round(targetRateAt(s.load, now), 2) : 0,
      totals: { ...this.metrics.requests, errorCauses: { ...this.metrics.requests.errorCauses }, inFlight: this.ledger.inFlight, stages: { ...this.metrics.stages } },
      lastSecond: this.metrics.sample(second),
      latency,
      queues: queues.latest,
      workers: workerViews(this.scenario.roster, workers.records, this.session?.launcher, Date.now()),
      services: serviceViews(this.session?.launcher),
      deadLetters: this.deadLetters.count,
      restaurants: this.restaurants.view(),
      ...(this.journeys.any ? { journeys: this.journeys.figures(now) } : {}),
    };
    this.write("tick", tick);
    this.emit("tick", tick);
  }
}
