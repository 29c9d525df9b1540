#!/usr/bin/env bash
# Integration test for compose/kafka-local: a real Kafka broker on a private
# port with its own state directory (never the developer's default broker).
#
#  (a) start refuses, with exit 1 and a message naming the port, when the client
#      or controller port is held by some other process;
#  (b) start works, a second start is a no-op, status says running, a message
#      round-trips through a topic (created with the Admin API, since topic
#      auto-creation is off) and survives a broker restart;
#  (c) stop works, status then exits 3, and a second stop is a no-op.
#
# Environment: ROLLBOOK_TEST_KAFKA_PORT (default 19392; the controller uses +1).
# Uses the jar cache of compose/kafka-local (fetches it if missing).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
KL="$REPO_ROOT/compose/kafka-local"
LOG4J="$REPO_ROOT/compose/kafka/log4j.properties"
NAME="kafka_local_test"

PORT="${ROLLBOOK_TEST_KAFKA_PORT:-19392}"
CPORT=$((PORT + 1))
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rollbook-kafka-local-test.XXXXXX")"
export ROLLBOOK_KAFKA_PORT="$PORT"
export ROLLBOOK_KAFKA_CONTROLLER_PORT="$CPORT"
export ROLLBOOK_KAFKA_DIR="$WORK/state"
BOOTSTRAP="127.0.0.1:$PORT"

passed=0
failed=0
blocker_pid=""

ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
fatal() { bad "$*"; finish; }

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
  set +e
  if [[ -n "$blocker_pid" ]]; then
    kill "$blocker_pid" 2>/dev/null
    wait "$blocker_pid" 2>/dev/null
  fi
  if [[ -f "$ROLLBOOK_KAFKA_DIR/broker.pid" ]]; then
    "$KL" stop >/dev/null 2>&1
    # Belt and braces: kill by our own pid file, never by process name.
    local pid
    pid="$(tr -dc '0-9' <"$ROLLBOOK_KAFKA_DIR/broker.pid" 2>/dev/null)"
    [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
  echo "$NAME: $passed passed, $failed failed"
  if (( failed )); then
    if [[ -f "$ROLLBOOK_KAFKA_DIR/broker.log" ]]; then
      echo "---- last lines of broker.log ----"
      tail -n 40 "$ROLLBOOK_KAFKA_DIR/broker.log"
    fi
    exit 1
  fi
  exit 0
}

for tool in java kcat; do
  command -v "$tool" >/dev/null 2>&1 || fatal "'$tool' is not installed (run scripts/install-deps)"
done

# Dedicated ports must be free, or the results would mean nothing.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$CPORT"; do
  if port_busy "$p"; then
    fatal "test port $p is already in use; set ROLLBOOK_TEST_KAFKA_PORT to a free port"
  fi
done

CLASSPATH_GLOB="$("$KL" classpath)" || fatal "kafka-local classpath failed"

# A small Java helper, run with the JDK's single-file source launcher (the
# Debian JRE image includes jdk.compiler): holds a port, or creates a topic
# through the Admin API of the kafka-clients jar the broker ships.
HELPER="$WORK/KafkaLocalTestHelper.java"
cat >"$HELPER" <<'EOF'
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

public class KafkaLocalTestHelper {
  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("listen")) {
      try (ServerSocket socket = new ServerSocket(Integer.parseInt(args[1]), 8,
                                                  InetAddress.getByName("127.0.0.1"))) {
        System.out.println("listening");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
      }
    } else if (args.length == 4 && args[0].equals("create-topic")) {
      Properties props = new Properties();
      props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[1]);
      props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
      try (Admin admin = Admin.create(props)) {
        NewTopic topic = new NewTopic(args[2], Integer.parseInt(args[3]), (short) 1);
        admin.createTopics(List.of(topic)).all().get(40, TimeUnit.SECONDS);
      }
      System.out.println("created " + args[2]);
    } else {
      System.err.println("usage: listen PORT | create-topic BOOTSTRAP TOPIC PARTITIONS");
      System.exit(2);
    }
  }
}
EOF
HELPER_CMD=(java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData
            "-Dlog4j.configuration=file:$LOG4J" -cp "$CLASSPATH_GLOB" "$HELPER")
helper() { "${HELPER_CMD[@]}" "$@"; }

# Holds a port with another process (python3's http.server when available,
# else the Java helper) and waits until it listens.
block_port() {
  local port="$1"
  if command -v python3 >/dev/null 2>&1 && [[ "${ROLLBOOK_TEST_BLOCKER:-}" != java ]]; then
    python3 -m http.server --bind 127.0.0.1 "$port" >"$WORK/blocker.log" 2>&1 &
  else
    # Not via the helper function: $! must be the JVM itself, not a subshell.
    "${HELPER_CMD[@]}" listen "$port" >"$WORK/blocker.log" 2>&1 &
  fi
  blocker_pid=$!
  for _ in $(seq 1 100); do
    port_busy "$port" && return 0
    kill -0 "$blocker_pid" 2>/dev/null || break
    sleep 0.2
  done
  fatal "could not start a process holding port $port: $(cat "$WORK/blocker.log")"
}

unblock_port() {
  kill "$blocker_pid" 2>/dev/null || true
  wait "$blocker_pid" 2>/dev/null || true
  blocker_pid=""
}

# run_kl <args...>: runs kafka-local, sets rc, out (stdout) and errs (stderr).
run_kl() {
  rc=0
  "$KL" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  out="$(cat "$WORK/out")"
  errs="$(cat "$WORK/err")"
}

# ---- (a) a port held by someone else ------------------------------------------
for p in "$PORT" "$CPORT"; do
  block_port "$p"
  run_kl start
  if (( rc == 1 )) && grep -q "port $p " <<<"$errs"; then
    ok "start with port $p taken fails with exit 1 and names the port"
  else
    bad "start with port $p taken: want exit 1 and an error naming port $p, got exit $rc; stderr: $errs"
  fi
  if [[ -f "$ROLLBOOK_KAFKA_DIR/broker.pid" ]]; then
    bad "a refused start left a pid file behind"
  fi
  unblock_port
done

# ---- (b) start, idempotent start, status, round trip, restart -----------------
t0=$SECONDS
run_kl start
if (( rc == 0 )) && grep -q "started on $BOOTSTRAP" <<<"$out"; then
  ok "start ($((SECONDS - t0))s): $out"
else
  fatal "start: exit $rc; stdout: $out; stderr: $errs"
fi
pid="$(cat "$ROLLBOOK_KAFKA_DIR/broker.pid")"

run_kl start
if (( rc == 0 )) && grep -q "already running on $BOOTSTRAP (pid $pid)" <<<"$out"; then
  ok "second start is a no-op"
else
  bad "second start: exit $rc; stdout: $out; stderr: $errs"
fi

run_kl status
if (( rc == 0 )) && grep -q "running on $BOOTSTRAP" <<<"$out"; then
  ok "status exits 0 while running"
else
  bad "status while running: exit $rc; stdout: $out"
fi

if kcat -b "$BOOTSTRAP" -L -m 5 2>&1 | grep -q "broker 1 at 127.0.0.1:$PORT"; then
  ok "kcat -L lists the broker"
else
  bad "kcat -L does not list broker 1 at 127.0.0.1:$PORT"
fi

topic="kafka-local-test-$$"
message="hello from kafka_local_test $$ $RANDOM"
consume() {
  kcat -C -b "$BOOTSTRAP" -t "$topic" -p 0 -o beginning -c 1 -e -q -m 10 2>"$WORK/kcat.err" </dev/null || true
}
if helper create-topic "$BOOTSTRAP" "$topic" 1 >"$WORK/helper.out" 2>&1; then
  ok "created topic $topic with the Admin API"
  if printf '%s\n' "$message" | kcat -P -b "$BOOTSTRAP" -t "$topic" -p 0 -m 10 2>"$WORK/kcat.err"; then
    got="$(consume)"
    if [[ "$got" == "$message" ]]; then
      ok "message round-trips through $topic"
    else
      bad "consumed '$got', want '$message' ($(cat "$WORK/kcat.err"))"
    fi
  else
    bad "kcat -P failed: $(cat "$WORK/kcat.err")"
  fi
else
  bad "could not create topic $topic: $(cat "$WORK/helper.out")"
fi

# Data lives in the state dir, so it must survive stop + start.
run_kl stop
(( rc == 0 )) || bad "stop before restart: exit $rc; stderr: $errs"
run_kl start
if (( rc == 0 )) && grep -q "started on $BOOTSTRAP" <<<"$out"; then
  got="$(consume)"
  if [[ "$got" == "$message" ]]; then
    ok "message survives a broker restart"
  else
    bad "after restart consumed '$got', want '$message'"
  fi
else
  bad "restart: exit $rc; stdout: $out; stderr: $errs"
fi
pid="$(cat "$ROLLBOOK_KAFKA_DIR/broker.pid" 2>/dev/null || echo 0)"

# ---- (c) stop, status, second stop --------------------------------------------
run_kl stop
if (( rc == 0 )) && grep -q "stopped broker on $BOOTSTRAP" <<<"$out" &&
   [[ ! -f "$ROLLBOOK_KAFKA_DIR/broker.pid" ]]; then
  ok "stop works and removes the pid file"
else
  bad "stop: exit $rc; stdout: $out; stderr: $errs"
fi

state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)"
if [[ "$state" == gone || "$state" == Z || "$state" == X ]]; then
  ok "broker process $pid has exited"
else
  bad "broker process $pid still alive after stop (state $state)"
fi

run_kl status
if (( rc == 3 )) && grep -q "not running" <<<"$out"; then
  ok "status exits 3 after stop"
else
  bad "status after stop: exit $rc (want 3); stdout: $out"
fi

run_kl stop
if (( rc == 0 )) && grep -q "not running" <<<"$out"; then
  ok "second stop is a no-op"
else
  bad "second stop: exit $rc; stdout: $out; stderr: $errs"
fi

if port_busy "$PORT"; then
  bad "port $PORT still answers after stop"
fi

finish
