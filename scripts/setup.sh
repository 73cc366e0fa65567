#!/bin/sh
# Everything `npm start` and `npm test` need on a fresh Debian machine with Node 20:
# npm packages, a supported nats-server (and the distribution's own), and the compiled CLI.
# Safe to run again; fast when done.
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

# 2. nats-server: a Debian package, not an npm one. The default broker must be a supported release
#    (2.10 or newer); the distribution's own package (2.9.10 on bookworm) is kept too, for the tests
#    that pin behaviour on it. An explicit PIZZERIA_NATS_SERVER is the user's choice and is used as is.
SUPPORTED_NATS=2.10.0
NATS_CACHE=.cache/nats-server
version_of() { "$1" --version 2>/dev/null | sed -n 's/^nats-server: v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n 1; }
# at_least VERSION MIN: VERSION >= MIN
at_least() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }
nats_candidates() {
  command -v nats-server 2>/dev/null || true
  for d in /usr/sbin /usr/local/sbin /usr/local/bin /usr/bin; do [ -x "$d/nats-server" ] && echo "$d/nats-server"; done
  for f in "$NATS_CACHE"/*/nats-server; do [ -x "$f" ] && echo "$f"; done
  return 0
}
supported_nats() {
  for f in $(nats_candidates); do at_least "$(version_of "$f")" "$SUPPORTED_NATS" && { echo "$f"; return 0; }; done
  return 1
}
distro_nats() { for d in /usr/sbin /usr/bin; do [ -x "$d/nats-server" ] && return 0; done; return 1; }

# The current nats-server from Debian's newest suites, unpacked into $NATS_CACHE/<version>/: a
# private apt configuration (its own sources list, lists and cache), so the system is not changed.
fetch_current_nats() {
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || return 1
  apt_dir=$(pwd)/.cache/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/deb"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || return 1
  {
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian sid main"
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian trixie main"
  } > "$apt_dir/sources.list"
  set -- -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- \
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1 \
    -o APT::Sandbox::User="$(id -un)"
  say "fetching the current nats-server from Debian's packages into $NATS_CACHE"
  apt-get "$@" update -q >"$apt_dir/update.log" 2>&1 || { say "apt-get update failed (see $apt_dir/update.log)"; return 1; }
  rm -f "$apt_dir/deb/"*.deb
  (cd "$apt_dir/deb" && apt-get "$@" download -q nats-server >"$apt_dir/download.log" 2>&1) || { say "apt-get download nats-server failed (see $apt_dir/download.log)"; return 1; }
  unpacked="$apt_dir/unpacked"
  rm -rf "$unpacked" && dpkg-deb -x "$apt_dir/deb/"nats-server_*.deb "$unpacked" || return 1
  bin=$(find "$unpacked" -type f -name nats-server -perm -u+x | head -n 1)
  v=$(version_of "$bin")
  [ -n "$v" ] || { say "the fetched nats-server does not run here"; return 1; }
  mkdir -p "$NATS_CACHE/$v" && cp "$bin" "$NATS_CACHE/$v/nats-server" && rm -rf "$unpacked" "$apt_dir/deb"
  say "nats-server $v is in $NATS_CACHE/$v"
}

if [ -n "${PIZZERIA_NATS_SERVER:-}" ]; then
  [ -x "$PIZZERIA_NATS_SERVER" ] || { say "PIZZERIA_NATS_SERVER=$PIZZERIA_NATS_SERVER is not an executable file"; exit 1; }
else
  distro_nats || apt_install nats-server || true
  if ! supported_nats >/dev/null; then
    fetch_current_nats || true
  fi
  if ! supported_nats >/dev/null; then
    if [ -n "$(nats_candidates)" ]; then
      say "only an unsupported nats-server was found ($(for f in $(nats_candidates); do printf '%s %s; ' "$f" "$(version_of "$f")"; done)); it will be used."
      say "For a supported one (>= $SUPPORTED_NATS): point PIZZERIA_NATS_SERVER at it, or let set-up fetch it (needs apt-get and Debian's package servers)."
    else
      say "no nats-server was found, and none could be installed or fetched."
      say "Tried: PIZZERIA_NATS_SERVER, PATH, /usr/sbin, $NATS_CACHE, apt-get install nats-server (needs root), and Debian's current package (needs apt-get and Debian's package servers)."
      say "Fix: sudo apt-get install -y nats-server, or point PIZZERIA_NATS_SERVER at a nats-server binary, or use --nats <url> with a running server."
      exit 1
    fi
  fi
fi

# The tests also drive the dashboard in a real pseudo-terminal: tmux.
if [ "${1:-}" = "--tests" ] && ! command -v tmux >/dev/null 2>&1; then
  apt_install tmux || { say "tmux is needed by the dashboard's end-to-end test: sudo apt-get install -y tmux"; exit 1; }
fi

# The tests open the HTML report and the live web dashboard in a real headless browser: Debian's
# chromium, driven by playwright-core (which downloads no browser of its own). PIZZERIA_CHROMIUM
# points the tests at another binary.
if [ "${1:-}" = "--tests" ] && [ ! -x "${PIZZERIA_CHROMIUM:-/usr/bin/chromium}" ]; then
  apt_install chromium || { say "chromium is needed by the browser tests (report.html, the web dashboard): sudo apt-get install -y chromium, or point PIZZERIA_CHROMIUM at a Chromium binary"; exit 1; }
fi

# The metrics test scrapes a running system with a real Prometheus (Debian's package; the test
# starts its own on a free port with its own storage). The package's own service must not start
# (it would bind 9090 and scrape nothing of ours): a policy-rc.d that refuses every start is in
# place while it installs, and its recommends (node-exporter, another service) are left out.
if [ "${1:-}" = "--tests" ] && ! command -v prometheus >/dev/null 2>&1; then
  installed=""
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing prometheus with apt-get (its service left stopped)"
    policy=/usr/sbin/policy-rc.d
    placed=""
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && placed=1; fi
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; }; } && installed=1
    [ -n "$placed" ] && rm -f "$policy"
    if [ -n "$installed" ] && command -v systemctl >/dev/null 2>&1; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
  fi
  [ -n "$installed" ] || { say "prometheus is needed by the metrics scrape test: sudo apt-get install -y --no-install-recommends prometheus (then: sudo systemctl disable --now prometheus)"; exit 1; }
fi

# 3. The CLI, compiled to dist/.
npx --no-install tsc -p tsconfig.json
