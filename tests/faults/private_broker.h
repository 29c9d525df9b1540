// A Kafka broker of the test's own, which it may stop, kill and restart.
//
// Fault tests must never touch the shared broker (ROLLBOOK_TEST_BROKERS), so
// each PrivateBroker runs compose/kafka-local on a port pair of its own
// (client port P, controller port P+1) with its state in a temporary
// directory. Ports are picked from [19400, 19900) among pairs that are free
// and not claimed by another PrivateBroker: the claim is an flock on
// /tmp/rollbook-private-broker-P.lock held for the object's lifetime, so tests
// running in parallel (ctest -j, other worktrees) never share or stop each
// other's brokers.
//
// Cleanup happens on every path: the destructor kills the broker and removes
// its directory, and a watchdog process (own session, no inherited output)
// does the same if the test process dies first (crash, ctest timeout).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace rollbook::testing {

class PrivateBroker {
 public:
  // Claims a port pair and starts the broker; nullptr with `error` set when
  // no pair is free or the broker does not come up.
  static std::unique_ptr<PrivateBroker> Start(std::string* error);
  ~PrivateBroker();
  PrivateBroker(const PrivateBroker&) = delete;
  PrivateBroker& operator=(const PrivateBroker&) = delete;

  // "127.0.0.1:P"
  std::string bootstrap() const;
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // compose/kafka-local stop (SIGTERM, controlled shutdown) / start again on
  // the same port and data. Each returns false with `error` on failure.
  bool Stop(std::string* error);
  bool Restart(std::string* error);
  // SIGKILL of the broker JVM (no shutdown at all); waits until it is gone.
  bool Kill(std::string* error);

  // The last lines of the broker log, for failure messages.
  std::string LogTail() const;

 private:
  PrivateBroker(int port, int lock_fd, std::string dir)
      : port_(port), lock_fd_(lock_fd), dir_(std::move(dir)) {}
  bool RunKafkaLocal(const std::string& command, std::string* error) const;
  void StartWatchdog();

  int port_;
  int lock_fd_;
  std::string dir_;  // temp dir: kafka-local state lives in dir_/state
  pid_t watchdog_ = -1;
};

}  // namespace rollbook::testing
