import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { THRESHOLDS } from "../scenario/thresholds.js";
import type { RunReport } from "../telemetry/run-events.js";
import type { RunEvents, RunOutput } from "./output.js";

function xml(s: string): string {
  // Characters XML 1.0 cannot hold at all are dropped; the five special ones escaped.
  return s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

interface Case {
  name: string;
  failure?: { message: string; body: string };
}

/** Each threshold the scenario set: passed, or failed with its figure and its limit. */
function thresholdCases(r: RunReport): Case[] {
  return r.thresholds.map((t) => {
    const bound = THRESHOLDS.find((row) => row.name === t.name)?.bound ?? "at most";
    const name = `${t.name} ${bound === "at most" ? "<=" : ">="} ${t.limit}`;
    return t.passed ? { name } : { name, failure: { message: `${t.name} was ${t.actual ?? "not measured"}; the limit is ${bound} ${t.limit}`, body: `actual: ${t.actual ?? "n/a"}\nlimit: ${bound} ${t.limit}` } };
  });
}

/** Each check of the checker (every count its verdict has, and the drain): passed at 0, failed with the first findings. */
function checkerCases(r: RunReport): Case[] {
  const v = r.verdict as unknown as Record<string, unknown>;
  const cases: Case[] = [{ name: "drained", ...(r.verdict.drained ? {} : { failure: { message: `not drained after ${r.drain.ms} ms`, body: `drain timeout ${r.drain.timeoutMs} ms` } }) }];
  for (const [name, count] of Object.entries(v)) {
    if (typeof count !== "number") continue;
    if (count === 0) {
      cases.push({ name: `${name} = 0` });
      continue;
    }
    const items = r.verdict.findings[name] ?? [];
    const lines = items.map((f) => [f.orderNumber ?? f.requestId ?? f.consumer ?? f.instance ?? f.subscriber, f.reason, f.history?.join(" > ")].filter(Boolean).join(": "));
    cases.push({ name: `${name} = 0`, failure: { message: `${count} ${name}`, body: lines.join("\n") } });
  }
  return cases;
}

function suite(name: string, cases: Case[], timestamp: string, seconds: number): string {
  const failures = cases.filter((c) => c.failure).length;
  const body = cases
    .map((c) => {
      const open = `    <testcase classname="${xml(name)}" name="${xml(c.name)}" time="0"`;
      if (!c.failure) return `${open}/>`;
      return `${open}>\n      <failure message="${xml(c.failure.message)}" type="${name.endsWith("thresholds") ? "threshold" : "finding"}">${xml(c.failure.body)}</failure>\n    </testcase>`;
    })
    .join("\n");
  return `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds.toFixed(3)}" timestamp="${xml(timestamp.replace(/\.\d+Z$/, ""))}">\n${body}\n  </testsuite>`;
}

/**
 * The run as JUnit XML (the testsuites/testsuite/testcase/failure shape CI systems read): one
 * suite of the scenario's thresholds, one of the checker's checks.
 */
export function junitXml(r: RunReport): string {
  const base = `pizzeria.${r.scenario}`;
  const seconds = r.durationMs / 1000;
  const suites = [suite(`${base}.thresholds`, thresholdCases(r), r.startedAt, seconds), suite(`${base}.checker`, checkerCases(r), r.startedAt, seconds)];
  const all = [...thresholdCases(r), ...checkerCases(r)];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(base)}" tests="${all.length}" failures="${all.filter((c) => c.failure).length}" errors="0" time="${seconds.toFixed(3)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

/** A run that ended without its report: one suite with one error, so CI shows it failed rather than passing by silence. */
function unfinishedXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pizzeria" tests="1" failures="0" errors="1">\n  <testsuite name="pizzeria.run" tests="1" failures="0" errors="1" skipped="0">\n    <testcase classname="pizzeria.run" name="the run finished">\n      <error message="the run ended without a report" type="run"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n`;
}

/** `--junit <file>`: written when the run ends. */
export class JUnitOutput implements RunOutput {
  constructor(private readonly file: string) {}

  get description(): string {
    return `JUnit XML ${this.file}`;
  }

  start(_events: RunEvents): void {}

  stop(report: RunReport | null): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, report ? junitXml(report) : unfinishedXml());
  }
}
