// What a campaign (campaign.hpp) keeps on disk while it runs: the serialisation of kill summaries
// and discrepancies into checkpoint.bin, and outputs-<device>.f32, written at offsets so a resumed
// run puts each batch where it belongs (docs/formats.md).
#ifndef MUTINY_ANALYSIS_CAMPAIGN_FILES_HPP_
#define MUTINY_ANALYSIS_CAMPAIGN_FILES_HPP_

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "../core/error.hpp"
#include "../core/tensor.hpp"
#include "checkpoint.hpp"
#include "discrepancy.hpp"
#include "kill.hpp"

namespace mutiny {

namespace campaign_detail {

inline void save_summary(ByteWriter& w, const KillSummary& s) {
    w.u64(s.crashed);
    w.u64(s.device_lost);
    w.str(s.crash_reason);
    w.u64(s.identical);
    w.i64(s.inputs);
    w.i64(s.correct);
    w.i64(s.original_correct);
    w.i64(s.prediction_kills);
    w.f64(s.max_abs_diff);
    w.f64(s.max_kl);
    w.vec(s.kill_bits);
    w.vec(s.classes_true);
    w.vec(s.classes_mutant);
    w.vec(s.instance_correct);
}
inline KillSummary load_summary(ByteReader& r) {
    KillSummary s;
    s.crashed = r.u64() != 0;
    s.device_lost = r.u64() != 0;
    s.crash_reason = r.str();
    s.identical = r.u64() != 0;
    s.inputs = r.i64();
    s.correct = r.i64();
    s.original_correct = r.i64();
    s.prediction_kills = r.i64();
    s.max_abs_diff = r.f64();
    s.max_kl = r.f64();
    s.kill_bits = r.vec<uint64_t>();
    s.classes_true = r.vec<uint8_t>();
    s.classes_mutant = r.vec<uint8_t>();
    s.instance_correct = r.vec<int64_t>();
    return s;
}
inline void save_disc(ByteWriter& w, const Discrepancy& d) {
    w.i64(d.inputs);
    w.i64(d.top1_disagree);
    w.f64(d.top5_jaccard_sum);
    w.f64(d.kendall_sum);
    w.f64(d.max_abs);
    w.f64(d.max_rel);
    w.vec(d.class_count_a);
    w.vec(d.class_count_b);
}
inline Discrepancy load_disc(ByteReader& r) {
    Discrepancy d;
    d.inputs = r.i64();
    d.top1_disagree = r.i64();
    d.top5_jaccard_sum = r.f64();
    d.kendall_sum = r.f64();
    d.max_abs = r.f64();
    d.max_rel = r.f64();
    d.class_count_a = r.vec<int64_t>();
    d.class_count_b = r.vec<int64_t>();
    return d;
}

// A file of float32 outputs [rows x inputs x classes] written at offsets (pwrite), so batches land
// where they belong whatever order a resumed run writes them in.
class OutputFile {
public:
    OutputFile(const std::string& path, int64_t rows, int64_t inputs, int64_t classes)
        : path_(path), inputs_(inputs), classes_(classes) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) throw Error("cannot write", path, std::strerror(errno));
        const off_t size = static_cast<off_t>(rows * inputs * classes * 4);
        if (::ftruncate(fd_, size) != 0) fail("cannot size the file");
    }
    ~OutputFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    void write(int64_t row, int64_t first, const Tensor& t) {
        const off_t off = static_cast<off_t>(((row * inputs_) + first) * classes_ * 4);
        const auto* p = static_cast<const uint8_t*>(t.raw());
        size_t n = t.nbytes();
        off_t o = off;
        while (n > 0) {
            const ssize_t w = ::pwrite(fd_, p, n, o);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) fail("write failed");
            p += w;
            o += w;
            n -= static_cast<size_t>(w);
        }
    }
    void sync() {
        if (::fdatasync(fd_) != 0) fail("sync failed");
    }

private:
    [[noreturn]] void fail(const std::string& what) {
        throw Error("cannot write outputs", path_, what + ": " + std::strerror(errno ? errno : ENOSPC) + " (results up to the last checkpoint are kept)");
    }
    std::string path_;
    int fd_ = -1;
    int64_t inputs_, classes_;
};

inline std::string device_file_name(const std::string& d) {
    std::string s;
    for (char c : d) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return s;
}

}  // namespace campaign_detail

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CAMPAIGN_FILES_HPP_
