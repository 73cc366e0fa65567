import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** `runs/<YYYYMMDD-HHMMSS>-<label>`: each run keeps its logs, databases and timeline here. */
export function createRunDir(label: string, base = "runs", explicit?: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 40) || "run";
  let dir = resolve(explicit ?? join(base, `${stamp}-${safe}`));
  // Two runs in the same second get -2, -3, ...
  for (let n = 2; !explicit; n++) {
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        mkdirSync(dir, { recursive: true });
        break;
      }
      dir = resolve(join(base, `${stamp}-${safe}-${n}`));
    }
  }
  mkdirSync(join(dir, "logs"), { recursive: true });
  mkdirSync(join(dir, "db"), { recursive: true });
  return dir;
}
