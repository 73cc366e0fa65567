/**
 * `node --cpu-prof` for processes the bench does not spawn itself (the process supervisor's
 * services): NODE_OPTIONS may not carry --cpu-prof, but it may carry
 * `--import <this file>`. With BENCH_CPU_PROF_DIR set (not a PIZZERIA_* variable: the supervisor
 * keeps those from its children), the process profiles itself from start to exit and writes
 * `<dir>/<service>-<instance>-<pid>.cpuprofile`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  const argv = process.argv;
  const i = argv.indexOf("service");
  const flag = (f: string) => (argv.indexOf(f) >= 0 ? argv[argv.indexOf(f) + 1] : undefined);
  const name = i >= 0 ? `${argv[i + 1]}-${flag("--instance") ?? flag("--name") ?? argv[i + 1]}` : "node";
  process.on("exit", () => {
    // The in-process inspector answers synchronously, so this works in an exit handler.
    session.post("Profiler.stop", (err, result) => {
      if (err) return;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      } catch {
        // nothing to be done at exit
      }
    });
  });
}
