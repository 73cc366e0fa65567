#!/bin/sh
# Everything `npm start` and `npm test` need on a fresh Debian machine with Node 20:
# npm packages, the nats-server Debian package, and the compiled CLI. Safe to run again; fast when done.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'pizzeria setup: %s\n' "$*" >&2; }

# 1. npm packages (again only when package-lock.json changed since the last install).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Debian packages, installed when missing: with apt-get as root, sudo when allowed, else a clear message.
apt_install() {
  pkg=$1
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkg with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null
    }
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkg with sudo apt-get"
    sudo -n apt-get update -q >/dev/null && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >/dev/null
  else
    return 1
  fi
}

# 2. nats-server: a Debian package, not an npm one.
find_nats() {
  [ -n "${PIZZERIA_NATS_SERVER:-}" ] && [ -x "$PIZZERIA_NATS_SERVER" ] && return 0
  command -v nats-server >/dev/null 2>&1 && return 0
  for d in /usr/sbin /usr/local/sbin /usr/local/bin /usr/bin; do [ -x "$d/nats-server" ] && return 0; done
  return 1
}
if ! find_nats; then
  if ! apt_install nats-server; then
    say "nats-server is not installed and this user cannot install it."
    say "On Debian/Ubuntu run: sudo apt-get install -y nats-server"
    say "Or point PIZZERIA_NATS_SERVER at a nats-server binary, or use --nats <url> with a running server."
    exit 1
  fi
  find_nats || { say "nats-server still not found after installing it"; exit 1; }
fi

# The tests also drive the dashboard in a real pseudo-terminal: tmux.
if [ "${1:-}" = "--tests" ] && ! command -v tmux >/dev/null 2>&1; then
  apt_install tmux || { say "tmux is needed by the dashboard's end-to-end test: sudo apt-get install -y tmux"; exit 1; }
fi

# 3. The CLI, compiled to dist/.
npx --no-install tsc -p tsconfig.json
