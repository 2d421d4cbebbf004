// What a campaign (campaign.hpp) keeps on disk while it runs: the serialisation of kill summaries
// and discrepancies into checkpoint.bin, and outputs-<device>.f32, written at offsets so a resumed
// run puts each batch where it belongs (docs/formats.md).
#ifndef MUTINY_ANALYSIS_CAMPAIGN_FILES_HPP_
#define MUTINY_ANALYSIS_CAMPAIGN_FILES_HPP_

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/error.hpp"
#include "../core/hash.hpp"
#include "../core/tensor.hpp"
#include "checkpoint.hpp"
#include "discrepancy.hpp"
#include "kill.hpp"
#include "profile.hpp"

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
    w.u64(s.input_bits.size());
    for (const auto& bits : s.input_bits) w.vec(bits);
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
    // As many criteria as the campaign has at most (restore() checks the exact count).
    const uint64_t criteria = r.u64();
    if (criteria > 4096) throw Error("corrupt checkpoint", "kill summary", std::to_string(criteria) + " per-criterion verdict rows");
    s.input_bits.resize(static_cast<size_t>(criteria));
    for (auto& bits : s.input_bits) bits = r.vec<uint64_t>();
    return s;
}
// A mutant's propagation profile (profile.hpp).
inline void save_profile(ByteWriter& w, const MutantProfile& p) {
    w.str(p.note);
    w.u64(p.rows.size());
    for (const auto& r : p.rows) {
        w.i64(r.node);
        w.i64(r.value);
        w.i64(r.differing);
        w.f64(r.sum_rel);
        w.f64(r.max_abs);
        w.i64(r.inputs);
    }
    w.vec(p.last_row);
}
// Reads a profile over at most `inputs` inputs of graph g; rows must name g's node outputs.
inline MutantProfile load_profile(ByteReader& r, const Graph& g, int64_t inputs, const std::string& where) {
    MutantProfile p;
    p.note = r.str();
    const uint64_t rows = r.u64();
    auto bad = [&](const std::string& why) { return Error("checkpoint does not fit this campaign", where, why); };
    if (rows > g.values.size()) throw bad(std::to_string(rows) + " profile rows, the model has " + std::to_string(g.values.size()) + " values");
    for (uint64_t k = 0; k < rows; ++k) {
        ProfileRow x;
        x.node = static_cast<int>(r.i64());
        x.value = static_cast<int>(r.i64());
        x.differing = r.i64();
        x.sum_rel = r.f64();
        x.max_abs = r.f64();
        x.inputs = r.i64();
        if (x.node < 0 || static_cast<size_t>(x.node) >= g.nodes.size() ||
            std::find(g.nodes[static_cast<size_t>(x.node)].outputs.begin(), g.nodes[static_cast<size_t>(x.node)].outputs.end(), x.value) ==
                g.nodes[static_cast<size_t>(x.node)].outputs.end())
            throw bad("profile row " + std::to_string(k) + " names no output of the model's node " + std::to_string(x.node));
        if (x.inputs < 0 || x.inputs > inputs || x.differing < 0 || x.differing > x.inputs || !(x.sum_rel >= 0) || !(x.max_abs >= 0))
            throw bad("profile row " + std::to_string(k) + " holds counts or errors no run gives");
        p.rows.push_back(x);
    }
    p.last_row = r.vec<int>();
    if (static_cast<int64_t>(p.last_row.size()) > inputs) throw bad(std::to_string(p.last_row.size()) + " profiled inputs, at most " + std::to_string(inputs) + " ran");
    for (int k : p.last_row)
        if (k < -1 || k >= static_cast<int>(p.rows.size())) throw bad("a profiled input's last differing row " + std::to_string(k) + " is not a row");
    return p;
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
    w.f64(d.rbo_sum);
    w.i64(d.invalid_a);
    w.i64(d.invalid_b);
    w.i64(d.both_invalid);
}
// Reads a discrepancy over at most `processed` inputs of `classes` classes; anything else (which
// Discrepancy::add would index past, or which no run can give) is refused.
inline Discrepancy load_disc(ByteReader& r, int64_t processed, int64_t classes, const std::string& where) {
    Discrepancy d;
    d.inputs = r.i64();
    d.top1_disagree = r.i64();
    d.top5_jaccard_sum = r.f64();
    d.kendall_sum = r.f64();
    d.max_abs = r.f64();
    d.max_rel = r.f64();
    d.class_count_a = r.vec<int64_t>();
    d.class_count_b = r.vec<int64_t>();
    d.rbo_sum = r.f64();
    d.invalid_a = r.i64();
    d.invalid_b = r.i64();
    d.both_invalid = r.i64();
    auto bad = [&](const std::string& why) { return Error("checkpoint does not fit this campaign", where, "device discrepancy: " + why); };
    if (d.inputs < 0 || d.inputs > processed) throw bad(std::to_string(d.inputs) + " inputs of " + std::to_string(processed) + " run");
    if (d.top1_disagree < 0 || d.top1_disagree > d.inputs) throw bad(std::to_string(d.top1_disagree) + " disagreements");
    if (d.invalid_a < 0 || d.invalid_a > d.inputs || d.invalid_b < 0 || d.invalid_b > d.inputs || d.both_invalid < 0 ||
        d.both_invalid > std::min(d.invalid_a, d.invalid_b))
        throw bad("invalid-output counts " + std::to_string(d.invalid_a) + ", " + std::to_string(d.invalid_b) + ", " + std::to_string(d.both_invalid));
    const size_t want = d.inputs == 0 ? 0 : static_cast<size_t>(classes);
    if (d.class_count_a.size() != want || d.class_count_b.size() != want) throw bad("per-class counts of the wrong length");
    // Invalid (NaN/Inf) outputs have no class.
    for (const auto& [v, invalid] : {std::pair<const std::vector<int64_t>*, int64_t>{&d.class_count_a, d.invalid_a}, {&d.class_count_b, d.invalid_b}}) {
        int64_t sum = 0;
        for (int64_t c : *v) {
            if (c < 0 || c > d.inputs) throw bad("a class count of " + std::to_string(c));
            sum += c;
        }
        if (sum + invalid != d.inputs) throw bad("class counts and invalid outputs do not add up to the inputs");
    }
    return d;
}

// A file of float32 outputs [rows x inputs x classes] written at offsets (pwrite), so batches land
// where they belong whatever order a resumed run writes them in. Its checksum (FNV-1a, chained
// batch by batch: for each batch, every row's slice of it, rows in order) is read back from the
// file after each batch, so the checkpoint records what is on disk; a resumed run checks the
// file's size and that checksum over the batches done before it writes anything.
class OutputFile {
public:
    // batches_done == 0: a new file (an existing one is replaced). Otherwise the file must exist,
    // have exactly the size of the campaign and the checksum `expected` over its first
    // batches_done batches of `batch` inputs; a mismatch throws and leaves the file as it is.
    OutputFile(const std::string& path, int64_t rows, int64_t inputs, int64_t classes, int64_t batch, int64_t batches_done, uint64_t expected)
        : path_(path), rows_(rows), inputs_(inputs), classes_(classes), batch_(batch) {
        const off_t size = static_cast<off_t>(rows * inputs * classes * 4);
        if (batches_done == 0) {
            fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd_ < 0) throw Error("cannot write", path, std::strerror(errno));
            if (::ftruncate(fd_, size) != 0) fail("cannot size the file");
            return;
        }
        const std::string keep = "; nothing was changed: restore the file, or run without --resume to start over";
        fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd_ < 0)
            throw Error("cannot resume", path, std::string("the outputs of the checkpointed batches are missing (") + std::strerror(errno) + ")" + keep);
        struct stat st{};
        if (::fstat(fd_, &st) != 0 || st.st_size != size)
            throw Error("cannot resume", path,
                        "the outputs file has " + std::to_string(static_cast<long long>(st.st_size)) + " bytes, the campaign writes " +
                            std::to_string(static_cast<long long>(size)) + keep);
        for (int64_t b = 0; b < batches_done; ++b) add_batch(b);
        if (hash_ != expected) throw Error("cannot resume", path, "the outputs file does not match the checkpoint (checksum mismatch)" + keep);
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
    // Makes batch b durable and adds it, as now on disk, to the checksum.
    void finish_batch(int64_t b) {
        if (::fdatasync(fd_) != 0) fail("sync failed");
        add_batch(b);
    }
    uint64_t checksum() const { return hash_; }

private:
    void add_batch(int64_t b) {
        const int64_t first = b * batch_, n = std::min(batch_, inputs_ - first);
        buf_.resize(static_cast<size_t>(n * classes_ * 4));
        for (int64_t row = 0; row < rows_; ++row) {
            const off_t off = static_cast<off_t>(((row * inputs_) + first) * classes_ * 4);
            size_t done = 0;
            while (done < buf_.size()) {
                const ssize_t r = ::pread(fd_, buf_.data() + done, buf_.size() - done, off + static_cast<off_t>(done));
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) throw Error("cannot read outputs", path_, r < 0 ? std::strerror(errno) : "the file is shorter than the campaign");
                done += static_cast<size_t>(r);
            }
            hash_ = fnv1a(buf_.data(), buf_.size(), hash_);
        }
    }
    [[noreturn]] void fail(const std::string& what) {
        throw Error("cannot write outputs", path_, what + ": " + std::strerror(errno ? errno : ENOSPC) + " (results up to the last checkpoint are kept)");
    }
    std::string path_;
    int fd_ = -1;
    int64_t rows_, inputs_, classes_, batch_;
    uint64_t hash_ = kFnv1aBasis;
    std::vector<uint8_t> buf_;
};

inline std::string device_file_name(const std::string& d) {
    std::string s;
    for (char c : d) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return s;
}

}  // namespace campaign_detail

}  // namespace mutiny

#endif  // MUTINY_ANALYSIS_CAMPAIGN_FILES_HPP_
