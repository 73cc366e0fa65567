import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync, realpathSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { NatsServerNotFoundError } from "../../services/shared/errors.js";
import { atLeast, compareVersions, parseVersion } from "../../services/shared/server-features.js";

// Which nats-server the harness starts. Set-up (scripts/setup.sh) makes sure a supported one is
// on the machine: on PATH, in Debian's sbin, or fetched into the project's .cache/nats-server/.

/** The oldest release the harness runs on at all (2.9: out of support, kept working). */
export const OLDEST_NATS = "2.9.0";
/** The oldest release NATS itself still supports: what set-up fetches when nothing newer is found. */
export const SUPPORTED_NATS = "2.10.0";

export const NATS_INSTALL_HINT =
  "nats-server is not installed. On Debian/Ubuntu: `sudo apt-get install -y nats-server` " +
  "(or run `npm run setup`, which does it when run as root and fetches the current release into .cache/nats-server); elsewhere see https://docs.nats.io/running-a-nats-service/introduction/installation. " +
  "Or point PIZZERIA_NATS_SERVER (--nats-server) at a nats-server binary, or pass --nats <url> to use a NATS server with JetStream that is already running.";

// Version arithmetic is the services' too (they decide what to ask of the server they are on).
export { atLeast, compareVersions, parseVersion } from "../../services/shared/server-features.js";

const versions = new Map<string, string | null>();

/** What `nats-server --version` says of a binary (`2.15.1`), or null when it does not run. Asked once per file. */
export function binaryVersion(file: string): string | null {
  if (!versions.has(file)) {
    let version: string | null = null;
    try {
      const out = execFileSync(file, ["--version"], { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "pipe"] });
      const v = parseVersion(out);
      version = v ? v.join(".") : null;
    } catch {
      version = null;
    }
    versions.set(file, version);
  }
  return versions.get(file)!;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The project's cache of fetched servers (`.cache/nats-server/<version>/nats-server`), from src/ or dist/ alike. */
export function natsCacheDir(): string {
  return resolve(import.meta.dirname, "..", "..", "..", ".cache", "nats-server");
}

/** Every nats-server binary on this machine the harness could use: PATH, Debian's sbin, the project's cache. */
export function natsServerCandidates(): string[] {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"].filter(Boolean);
  const found = dirs.map((d) => join(d, "nats-server"));
  try {
    for (const v of readdirSync(natsCacheDir())) found.push(join(natsCacheDir(), v, "nats-server"));
  } catch {
    // nothing fetched
  }
  // One entry per binary: /sbin is often /usr/sbin.
  return [...new Set(found.filter(executable).map((f) => realpathSync(f)))];
}

/**
 * The nats-server to start: `$PIZZERIA_NATS_SERVER` (set by `--nats-server` too) when given,
 * otherwise the newest release found. One older than OLDEST_NATS is refused with the reason.
 */
export function findNatsServer(): string {
  const explicit = process.env.PIZZERIA_NATS_SERVER;
  if (explicit) {
    if (!executable(explicit)) throw new NatsServerNotFoundError(`PIZZERIA_NATS_SERVER=${explicit} is not an executable file. ${NATS_INSTALL_HINT}`);
    refuseTooOld(explicit, binaryVersion(explicit));
    return explicit;
  }
  const usable = natsServerCandidates()
    .map((file) => ({ file, version: binaryVersion(file) }))
    .filter((c): c is { file: string; version: string } => c.version !== null);
  if (usable.length === 0) throw new NatsServerNotFoundError(NATS_INSTALL_HINT);
  usable.sort((a, b) => compareVersions(b.version, a.version));
  refuseTooOld(usable[0].file, usable[0].version);
  return usable[0].file;
}

function refuseTooOld(file: string, version: string | null): void {
  if (version === null) throw new NatsServerNotFoundError(`${file} does not answer \`--version\` as a nats-server does. ${NATS_INSTALL_HINT}`);
  if (!atLeast(version, OLDEST_NATS)) {
    throw new NatsServerNotFoundError(`${file} is nats-server ${version}, older than the oldest the harness runs on (${OLDEST_NATS}; supported: ${SUPPORTED_NATS} and newer). ${NATS_INSTALL_HINT}`);
  }
}
