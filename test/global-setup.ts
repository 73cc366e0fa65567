import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Tests that spawn `pizzeria` as a child process run dist/cli.js: build it once, first. */
export default function setup(): void {
  const root = join(import.meta.dirname, "..");
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.json")], { stdio: "inherit", cwd: root });
}
