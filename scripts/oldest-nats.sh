#!/bin/sh
# The tests of broker behaviour (pipeline, recovery, cluster, chaos, batch pulls, ack-all, dead
# letters, the stream tap) once more, on the oldest nats-server release the harness keeps working:
# the distribution's own package (2.9.10 on Debian bookworm), which set-up installs beside the
# current release. Run after `npm test` (which did the set-up and the build).
set -eu
cd "$(dirname "$0")/.."
oldest=""
for f in /usr/sbin/nats-server /usr/bin/nats-server; do
  if [ -x "$f" ]; then oldest=$f; break; fi
done
if [ -z "$oldest" ]; then
  echo "pizzeria: the distribution's nats-server is not installed (sudo apt-get install -y nats-server); it is what this pass runs on" >&2
  exit 1
fi
echo "pizzeria: broker behaviour tests on $("$oldest" --version) ($oldest)" >&2
PIZZERIA_NATS_SERVER=$oldest exec npx vitest run \
  test/pipeline.test.ts test/recovery.test.ts test/cluster.test.ts test/chaos.test.ts \
  test/batch-pull.test.ts test/ack-all.test.ts test/poison.test.ts test/max-deliveries.test.ts \
  test/event-tap.test.ts test/nats-binary.test.ts test/unexplained-findings.test.ts \
  test/consumer-reconnect.test.ts test/server-features.test.ts
