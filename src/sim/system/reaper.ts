import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

/**
 * Guarantees that the processes the harness starts die with it, however it dies (even SIGKILL,
 * where no exit handler runs), and that the temporary directories it made for them (a broker's
 * JetStream store in the system's temp dir) go with them. A small detached watcher process is
 * told each child's pid and each such directory over a pipe; when the pipe closes because the
 * harness is gone, it SIGKILLs what is still registered, waits (up to 5 s) for it to be gone, and
 * removes the directories. A directory the user chose is never registered: it stays.
 */
const WATCHER_SOURCE = `
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => {});
const pids = new Set();
const dirs = new Set();
let buf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const op = line.slice(0, 1), arg = line.slice(2);
    if (op === "+") pids.add(Number(arg)); else if (op === "-") pids.delete(Number(arg));
    else if (op === "d") dirs.add(arg); else if (op === "f") dirs.delete(arg);
  }
});
const alive = (p) => { try { process.kill(p, 0); return true; } catch (e) { return e.code === "EPERM"; } };
process.stdin.on("end", () => {
  for (const p of pids) { try { process.kill(-p, "SIGKILL"); } catch {} try { process.kill(p, "SIGKILL"); } catch {} }
  const until = Date.now() + 5000;
  const finish = () => {
    if ([...pids].some(alive) && Date.now() < until) return setTimeout(finish, 50);
    for (const d of dirs) { try { require("fs").rmSync(d, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  };
  finish();
});
`;

let watcher: ChildProcess | null = null;
const watched = new Set<number>();
const dirs = new Set<string>();
let exitHookInstalled = false;

function ensureWatcher(): ChildProcess {
  if (watcher && watcher.exitCode === null && watcher.stdin?.writable) return watcher;
  watcher = spawn(process.execPath, ["-e", WATCHER_SOURCE], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  watcher.unref();
  (watcher.stdin as unknown as { unref?: () => void }).unref?.();
  watcher.stdin!.on("error", () => undefined);
  for (const pid of watched) watcher.stdin!.write(`+ ${pid}\n`);
  for (const dir of dirs) watcher.stdin!.write(`d ${dir}\n`);
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
      for (const dir of dirs) {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {
          // the watcher tries again once the processes are gone
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

/** Remove `dir` (a temporary directory the harness made, such as a broker's store) if the harness dies first. */
export function removeOnExit(dir: string): void {
  if (dir.includes("\n")) throw new Error(`a directory to remove must not have a newline in its name: ${JSON.stringify(dir)}`);
  dirs.add(dir);
  ensureWatcher().stdin!.write(`d ${dir}\n`);
}

/** `dir` was removed (or is to be kept) after all. */
export function forgetDir(dir: string): void {
  dirs.delete(dir);
  watcher?.stdin?.write(`f ${dir}\n`);
}
