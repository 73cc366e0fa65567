import type { DeadLetter } from "../../services/shared/contracts.js";
import type { DeadLetterRecord } from "./checker-types.js";
import { deadLetterRecord } from "./collect.js";

/** How many samples of dead letters a report carries (the count is exact; the samples are for reading). */
const MAX_SAMPLES = 50;

export interface DeadLetterSample {
  consumer: string;
  subject: string;
  reason: string;
  at: string;
}

/** The dead letters a run saw, as the checker reads them and as the report samples them. */
export class DeadLetterTally {
  count = 0;
  readonly records: DeadLetterRecord[] = [];
  readonly samples: DeadLetterSample[] = [];

  /** Count one; `letter` is null when its body could not be read (it is still a dead letter). */
  add(letter: DeadLetter | null): void {
    this.count++;
    this.records.push(letter ? deadLetterRecord(letter) : { consumer: "?", subject: "?", streamSeq: 0, reason: "unreadable dead letter" });
    if (letter && this.samples.length < MAX_SAMPLES) {
      this.samples.push({ consumer: letter.consumer, subject: letter.subject, reason: letter.reason, at: letter.at });
    }
  }
}
