import { createHash } from "node:crypto";
import { ProviderUnavailableError } from "../shared/errors.js";
import type { PaymentLedger } from "./payment-ledger.js";

export interface ProviderSettings {
  /** Mean time the provider takes to answer. */
  latencyMs: number;
  /** Share of charges declined (0..1). */
  failureRate: number;
  /** Mixed into the decline decision so a scenario's seed fixes which orders fail. */
  seed: number;
}

export type ChargeResult = { approved: true; payment_id: string } | { approved: false; reason: string };

/**
 * A stand-in for an external card processor. Like a real one it is idempotent per key: the same
 * order always gets the same answer, whichever payment instance asks and however often, so a
 * redelivered OrderPlaced can never turn a decline into an approval. During an outage it throws
 * ProviderUnavailableError, which the payment service retries.
 */
export class PaymentProvider {
  private outageUntil = 0;

  /** `ledger`: where it books each charge and refund (none: it keeps no books). */
  constructor(
    private settings: ProviderSettings,
    private readonly ledger?: PaymentLedger,
  ) {}

  configure(changes: Partial<ProviderSettings>): ProviderSettings {
    this.settings = { ...this.settings, ...changes };
    return this.settings;
  }

  get current(): ProviderSettings {
    return { ...this.settings };
  }

  /** Every charge fails as unavailable until `ms` from now (0 ends an outage). */
  outage(ms: number): void {
    this.outageUntil = ms > 0 ? Date.now() + ms : 0;
  }

  get inOutage(): boolean {
    return Date.now() < this.outageUntil;
  }

  /** Charge `amount` under `idempotencyKey` (the order number): an approval is booked before it is answered. */
  async charge(idempotencyKey: string, amount: number): Promise<ChargeResult> {
    if (this.settings.latencyMs > 0) await new Promise((r) => setTimeout(r, this.settings.latencyMs));
    if (this.inOutage) throw new ProviderUnavailableError("payment provider unavailable (outage)");
    if (this.unitDraw(idempotencyKey) < this.settings.failureRate) {
      return { approved: false, reason: "card declined" };
    }
    const paymentId = `pay_${this.hash(idempotencyKey).slice(0, 16)}`;
    this.ledger?.charge(paymentId, idempotencyKey, amount);
    return { approved: true, payment_id: paymentId };
  }

  /** Give back what a charge took; booked once per payment id. */
  refund(paymentId: string, orderNumber: string, amount: number): void {
    this.ledger?.refund(paymentId, orderNumber, amount);
  }

  /** A number in [0, 1) fixed by the key and the seed. */
  private unitDraw(key: string): number {
    return parseInt(this.hash(key).slice(0, 12), 16) / 2 ** 48;
  }

  private hash(key: string): string {
    return createHash("sha256").update(`${this.settings.seed}:${key}`).digest("hex");
  }
}
