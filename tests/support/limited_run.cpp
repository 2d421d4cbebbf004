// limited_run: runs a command under an address-space limit and a time limit and reports how it
// ended and its peak resident memory, for tests that a crafted input can neither exhaust memory
// nor hang a command (tests/cmake/crafted_files.cmake).
//
//   limited_run AS_MIB TIMEOUT_S COMMAND [ARG...]
//
// Prints one line "exit=N peak_rss_mib=M" (N: the exit code; signal=S or timeout instead when it
// did not exit) and exits 0 when the command ran, 3 on a usage error or when it cannot be started.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: limited_run AS_MIB TIMEOUT_S COMMAND [ARG...]\n");
        return 3;
    }
    const unsigned long long as_mib = std::strtoull(argv[1], nullptr, 10);
    const double timeout = std::strtod(argv[2], nullptr);
    if (as_mib == 0 || !(timeout > 0)) {
        std::fprintf(stderr, "limited_run: AS_MIB and TIMEOUT_S must be positive\n");
        return 3;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        std::fprintf(stderr, "limited_run: fork: %s\n", std::strerror(errno));
        return 3;
    }
    if (pid == 0) {
        const rlimit lim{as_mib << 20, as_mib << 20};
        if (::setrlimit(RLIMIT_AS, &lim) != 0) _exit(126);
        ::execvp(argv[3], argv + 3);
        _exit(127);
    }
    const auto start = std::chrono::steady_clock::now();
    int status = 0;
    rusage ru{};
    bool timed_out = false;
    for (;;) {
        const pid_t w = ::wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            std::fprintf(stderr, "limited_run: wait: %s\n", std::strerror(errno));
            return 3;
        }
        if (!timed_out && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout) {
            ::kill(pid, SIGKILL);
            timed_out = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const long rss_mib = ru.ru_maxrss / 1024;  // ru_maxrss is in KiB on Linux
    if (timed_out) std::printf("timeout peak_rss_mib=%ld\n", rss_mib);
    else if (WIFSIGNALED(status)) std::printf("signal=%d peak_rss_mib=%ld\n", WTERMSIG(status), rss_mib);
    else std::printf("exit=%d peak_rss_mib=%ld\n", WEXITSTATUS(status), rss_mib);
    return 0;
}
