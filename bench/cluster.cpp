// Hierarchical clustering speed: linkage (distances included) of n random float64 vectors of
// dimension d. Prints a header (machine, threads, commit), warms up, then times `--iters` runs and
// reports median and spread. tools/bench_cluster_vs_scipy.py runs this side by side with SciPy on
// the same vectors (--in) and compares the linkage matrices (--out).
//
//   bench_cluster [--n N] [--d D] [--method M] [--metric D] [--threads T] [--warmup W] [--iters I]
//                 [--seed S] [--in VECTORS.f64] [--out Z.f64] [--json]
//
// --in reads N*D raw little-endian doubles (numpy's X.tofile()); without it the vectors are
// uniform [0, 1) from --seed. --out writes the (N-1) x 4 linkage matrix as raw doubles.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <tbb/global_control.h>

#include <mutiny/cluster/all.hpp>
#include <mutiny/version.hpp>

#include "bench_common.hpp"

#ifndef MUTINY_GIT_COMMIT
#define MUTINY_GIT_COMMIT "unknown"
#endif

int main(int argc, char** argv) {
    long n = 4000, d = 256, threads = 2, warmup = 1, iters = 5;
    unsigned long seed = 1;
    std::string method = "ward", metric = "euclidean", in, out;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return bench::option_value(argc, argv, i, "bench_cluster"); };
        if (a == "--help") {
            std::fprintf(stderr, "usage: bench_cluster [--n N] [--d D] [--method M] [--metric D] [--threads T] [--warmup W] [--iters I] [--seed S] [--in F] [--out F] [--json]\n");
            return 2;
        }
        if (a == "--n") n = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--d") d = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--method") method = next();
        else if (a == "--metric") metric = next();
        else if (a == "--threads") threads = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--warmup") warmup = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--iters") iters = std::strtol(next().c_str(), nullptr, 10);
        else if (a == "--seed") seed = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--in") in = next();
        else if (a == "--out") out = next();
        else if (a == "--json") json = true;
        else { std::fprintf(stderr, "bench_cluster: unknown option %s\n", a.c_str()); return 2; }
    }
    if (n < 2 || d < 1 || threads < 1 || iters < 1 || warmup < 0) {
        std::fprintf(stderr, "bench_cluster: need --n >= 2, --d >= 1, --threads >= 1, --iters >= 1\n");
        return 2;
    }
    try {
        tbb::global_control gc(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
        const auto m = mutiny::cluster::parse_method(method);
        const auto me = mutiny::cluster::parse_metric(metric);
        std::vector<double> x(static_cast<size_t>(n * d));
        if (!in.empty()) {
            std::ifstream f(in, std::ios::binary);
            if (!f.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(double)))) {
                std::fprintf(stderr, "bench_cluster: cannot read %ld x %ld doubles from %s\n", n, d, in.c_str());
                return 1;
            }
        } else {
            std::mt19937_64 rng(seed);
            std::uniform_real_distribution<double> U(0.0, 1.0);
            for (auto& v : x) v = U(rng);
        }
        mutiny::cluster::LinkageMatrix Z;
        for (long i = 0; i < warmup; ++i) Z = mutiny::cluster::linkage(x, n, d, m, me);
        std::vector<double> ms;
        for (long i = 0; i < iters; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            Z = mutiny::cluster::linkage(x, n, d, m, me);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        if (!out.empty()) {
            std::ofstream f(out, std::ios::binary);
            f.write(reinterpret_cast<const char*>(Z.z.data()), static_cast<std::streamsize>(Z.z.size() * sizeof(double)));
        }
        std::sort(ms.begin(), ms.end());
        const double med = ms[ms.size() / 2];
        const double q1 = ms[ms.size() / 4], q3 = ms[(3 * ms.size()) / 4];
        if (json) {
            std::printf("{\"engine\":\"mutiny\",\"n\":%ld,\"d\":%ld,\"method\":\"%s\",\"metric\":\"%s\",\"threads\":%ld,\"median_ms\":%.4f,\"q1_ms\":%.4f,\"q3_ms\":%.4f,\"min_ms\":%.4f,\"iters\":%ld}\n",
                        n, d, method.c_str(), metric.c_str(), threads, med, q1, q3, ms.front(), iters);
        } else {
            std::printf("# mutiny %s (commit %s) | %s | %u hw threads | threads %ld\n", mutiny::version_string(), MUTINY_GIT_COMMIT,
                        bench::cpu_model().c_str(), std::thread::hardware_concurrency(), threads);
            std::printf("linkage %-8s %-11s n %6ld d %4ld  median %9.2f ms  IQR [%.2f, %.2f]  min %.2f  (%ld iters)\n", method.c_str(),
                        metric.c_str(), n, d, med, q1, q3, ms.front(), iters);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_cluster: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
