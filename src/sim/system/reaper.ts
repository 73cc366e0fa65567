import { spawn, type ChildProcess } from "node:child_process";

/**
 * Guarantees that the processes the harness starts die with it, however it dies (even SIGKILL,
 * where no exit handler runs). A small detached watcher process is told each child's pid over a
 * pipe; when the pipe closes because the harness is gone, it SIGKILLs what is still registered.
 */
const WATCHER_SOURCE = `
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
const pids = new Set();
let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const [op, pid] = buf.slice(0, i).split(" ");
    buf = buf.slice(i + 1);
    if (op === "+") pids.add(Number(pid)); else pids.delete(Number(pid));
  }
});
process.stdin.on("end", () => {
  for (const p of pids) { try { process.kill(-p, "SIGKILL"); } catch {} try { process.kill(p, "SIGKILL"); } catch {} }
  process.exit(0);
});
`;

let watcher: ChildProcess | null = null;
const watched = new Set<number>();
let exitHookInstalled = false;

function ensureWatcher(): ChildProcess {
  if (watcher && watcher.exitCode === null && watcher.stdin?.writable) return watcher;
  watcher = spawn(process.execPath, ["-e", WATCHER_SOURCE], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  watcher.stdin!.on("error", () => undefined);
  for (const pid of watched) watcher.stdin!.write(`+ ${pid}\n`);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Belt and braces for a normal exit: kill what is left synchronously.
    process.on("exit", () => {
      for (const pid of watched) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
  }
  return watcher;
}

/** Kill `pid` (and its process group when it leads one) if the harness dies first. */
export function reapOnExit(pid: number): void {
  watched.add(pid);
  ensureWatcher().stdin!.write(`+ ${pid}\n`);
}

export function forget(pid: number): void {
  watched.delete(pid);
  watcher?.stdin?.write(`- ${pid}\n`);
}
