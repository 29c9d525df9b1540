#include "tests/faults/private_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>
#include <vector>

namespace rollbook::testing {

namespace {

constexpr int kFirstPort = 19400;
constexpr int kPortPairs = 250;  // client ports 19400, 19402, ..., 19898

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// True when nothing listens on 127.0.0.1:port (bound the way Kafka binds).
bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

// Claims client port `port` (and port+1) against other PrivateBrokers: the fd
// of the held lock, or -1.
int ClaimPort(int port) {
  const std::string path = "/tmp/rollbook-private-broker-" + std::to_string(port) + ".lock";
  const int fd = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0 || !PortFree(port) || !PortFree(port + 1)) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string KafkaLocalEnv(int port, const std::string& dir) {
  return "ROLLBOOK_KAFKA_PORT=" + std::to_string(port) +
         " ROLLBOOK_KAFKA_CONTROLLER_PORT=" + std::to_string(port + 1) +
         " ROLLBOOK_KAFKA_DIR=" + Quote(dir + "/state") + " " +
         Quote(std::string(ROLLBOOK_SOURCE_DIR) + "/compose/kafka-local");
}

pid_t ReadPid(const std::string& path) {
  const std::string text = ReadFile(path);
  const long pid = std::strtol(text.c_str(), nullptr, 10);
  return pid > 0 ? static_cast<pid_t>(pid) : -1;
}

// Alive and not a zombie (our broker is reparented to a PID 1 that may not reap).
bool ProcessAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace

std::unique_ptr<PrivateBroker> PrivateBroker::Start(std::string* error) {
  std::vector<int> candidates;
  for (int i = 0; i < kPortPairs; ++i) candidates.push_back(kFirstPort + 2 * i);
  std::shuffle(candidates.begin(), candidates.end(), std::mt19937(std::random_device()()));
  std::string last_error = "no free port pair in [19400, 19900)";
  int attempts = 0;
  for (int port : candidates) {
    const int lock_fd = ClaimPort(port);
    if (lock_fd < 0) continue;
    char tmpl[] = "/tmp/rollbook-broker-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      close(lock_fd);
      *error = "mkdtemp failed";
      return nullptr;
    }
    std::unique_ptr<PrivateBroker> broker(new PrivateBroker(port, lock_fd, tmpl));
    broker->StartWatchdog();
    if (broker->RunKafkaLocal("start", &last_error)) return broker;
    // Someone outside our claim scheme may have taken the port meanwhile:
    // try another pair a few times before giving up.
    broker.reset();
    if (++attempts == 3) break;
  }
  *error = last_error;
  return nullptr;
}

void PrivateBroker::StartWatchdog() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  const std::string script = "read _ <&3; " + KafkaLocalEnv(port_, dir_) + " stop; rm -rf " + Quote(dir_);
  const pid_t child = fork();
  if (child == 0) {
    // Double fork in a new session: the watchdog is no descendant of the test,
    // so whatever kills the test's process tree leaves it to do its job.
    setsid();
    if (fork() != 0) _exit(0);
    const int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    dup2(fds[0], 3);    // EOF when the test process is gone
    dup2(lock_fd_, 4);  // keeps the port claimed until the broker is stopped
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  if (child > 0) {
    waitpid(child, nullptr, 0);
    watchdog_ = fds[1];  // closing it releases the watchdog
  } else {
    close(fds[1]);
  }
}

PrivateBroker::~PrivateBroker() {
  std::string ignored;
  Kill(&ignored);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (watchdog_ >= 0) close(watchdog_);  // the watchdog finds nothing left to do and exits
  close(lock_fd_);
}

std::string PrivateBroker::bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }

bool PrivateBroker::RunKafkaLocal(const std::string& command, std::string* error) const {
  const std::string out = dir_ + "/kafka-local.out";
  const int status = std::system(
      (KafkaLocalEnv(port_, dir_) + " " + command + " </dev/null >" + Quote(out) + " 2>&1").c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  *error =
      "compose/kafka-local " + command + " on port " + std::to_string(port_) + " failed: " + ReadFile(out);
  return false;
}

bool PrivateBroker::Stop(std::string* error) { return RunKafkaLocal("stop", error); }

bool PrivateBroker::Restart(std::string* error) { return RunKafkaLocal("start", error); }

bool PrivateBroker::Kill(std::string* error) {
  const pid_t pid = ReadPid(dir_ + "/state/broker.pid");
  if (pid <= 0 || !ProcessAlive(pid)) return true;  // not running
  // Guard against pid reuse: our broker's command line names our state dir.
  if (ReadFile("/proc/" + std::to_string(pid) + "/cmdline").find(dir_) == std::string::npos) return true;
  kill(pid, SIGKILL);
  for (int i = 0; i < 200 && ProcessAlive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (ProcessAlive(pid)) {
    *error = "broker pid " + std::to_string(pid) + " survived SIGKILL for 10s";
    return false;
  }
  return true;
}

std::string PrivateBroker::LogTail() const {
  const std::string log = ReadFile(dir_ + "/state/broker.log");
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

}  // namespace rollbook::testing
