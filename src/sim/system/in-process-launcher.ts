import type { NatsOptions } from "../../services/shared/nats.js";
import { start as startOrder } from "../../services/order/index.js";
import { start as startPayment } from "../../services/payment/index.js";
import { start as startKitchen } from "../../services/kitchen/index.js";
import { start as startRestaurant } from "../../services/restaurant/index.js";
import { start as startTracking } from "../../services/tracking/index.js";
import { start as startNotification } from "../../services/notification/index.js";
import { start as startReporting } from "../../services/reporting/index.js";
import { onServiceNotice } from "../../services/shared/notices.js";
import { start as startCustomer } from "../../services/customer/index.js";
import { Launcher, type InstanceHandle, type InstanceSpec } from "./launcher.js";
import { printToFile } from "./printed-output.js";
import { instanceFiles, outputFile } from "./settings.js";

/**
 * Runs every instance inside this process. Each still has its own NATS connection and SQLite
 * file, exactly as when it runs alone; a "crash" drops its connection and database without any
 * graceful step.
 */
export class InProcessLauncher extends Launcher {
  /** The services of this process say what their logs may not take (a full disk) here. */
  private readonly stopListening = onServiceNotice((n) => this.passNotice(n));

  override async stopAll(): Promise<void> {
    await super.stopAll();
    this.stopListening();
  }

  protected async launch(spec: InstanceSpec, nats: NatsOptions, afterCrash: boolean): Promise<InstanceHandle> {
    const s = this.settings;
    const common = { nats, topology: s.topology, logLevel: s.logLevel, metricsPort: spec.metricsPort, ...instanceFiles(s.runDir, spec.service, spec.instance) };
    switch (spec.service) {
      case "order":
        return startOrder({ ...common, instance: spec.instance, port: spec.port, maxConcurrent: spec.maxConcurrent });
      case "payment":
        return startPayment({ ...common, instance: spec.instance, provider: spec.provider, concurrency: spec.concurrency });
      case "restaurant":
        return startRestaurant({ ...common, instance: spec.instance, port: spec.port, restaurants: spec.restaurants, seed: spec.seed });
      case "kitchen":
        return startKitchen({
          ...common,
          name: spec.instance,
          restaurant: spec.worker?.restaurant,
          orderTypes: spec.worker?.orderTypes,
          prefetch: spec.worker?.prefetch,
          timeScale: s.timeScale,
          cookTimeMs: s.cookTimeMs,
          heartbeatIntervalMs: s.heartbeatIntervalMs,
          // Its crashed predecessor ran in this process and is certainly gone: no need to wait for its heartbeat to go stale.
          takeOver: afterCrash,
        });
      case "tracking":
        return startTracking({ ...common, instance: spec.instance, port: spec.port, timeScale: s.timeScale });
      case "customer":
        return startCustomer({ ...common, instance: spec.instance, port: spec.port });
      case "notification":
        // What it prints goes to the file a process's stdout would go to: the checker reads it.
        return startNotification({ ...common, instance: spec.instance, print: printToFile(outputFile(s.runDir, spec.service, spec.instance)) });
      case "reporting":
        return startReporting({ ...common, instance: spec.instance, port: spec.port });
    }
  }
}
