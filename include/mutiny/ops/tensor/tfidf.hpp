// TfIdfVectorizer (opset 9) for integer inputs (int32, int64; string pools and inputs are out of
// Mutiny's scope). Each row of X ([C] or [B, C]) is scanned for the pool's n-grams of sizes
// min_gram_length..max_gram_length, with items skip_distance = 1..max_skip_count + 1 apart (unigrams
// counted once), as onnxruntime and ONNX's reference do: from each start, the n-gram grows while it
// is a prefix of some pool n-gram, and every pool n-gram of at least the minimum size met on the way
// counts at its ngram_indexes slot. Y (f32, [O] or [B, O], O = max(ngram_indexes) + 1) is the
// count (TF), weights[slot] or 1 where the count is non-zero (IDF), or weights[slot] * count (TFIDF).
#ifndef MUTINY_OPS_TENSOR_TFIDF_HPP_
#define MUTINY_OPS_TENSOR_TFIDF_HPP_

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../../core/parallel.hpp"
#include "../common.hpp"

namespace mutiny {
namespace tensor_ops {

struct TfIdfModel {
    int mode = 1;  // 1 TF, 2 IDF, 3 TFIDF
    int64_t min_n = 1, max_n = 1, max_skip = 0, out_size = 0;
    std::map<std::vector<int64_t>, int64_t> grams;  // pool n-gram (of a loaded size) -> output slot
    std::set<std::vector<int64_t>> prefixes;        // every prefix of a loaded n-gram, itself included
    std::vector<double> weights;
};

inline TfIdfModel tfidf_model(const Attributes& a, const std::string& where) {
    TfIdfModel m;
    const std::string mode = a.get_string("mode", "");
    if (mode == "TF") m.mode = 1;
    else if (mode == "IDF") m.mode = 2;
    else if (mode == "TFIDF") m.mode = 3;
    else throw Error("attribute 'mode' out of range", where, "'" + mode + "' given; TF, IDF or TFIDF");
    if (a.has("pool_strings")) throw Error("unsupported TfIdfVectorizer pool_strings", where, "Mutiny has no string tensors; pool_int64s is supported");
    for (const char* k : {"min_gram_length", "max_gram_length", "max_skip_count", "ngram_counts", "ngram_indexes", "pool_int64s"})
        if (!a.has(k)) throw Error(std::string("missing attribute '") + k + "'", where, "TfIdfVectorizer requires it");
    m.min_n = a.get_int("min_gram_length", 0);
    m.max_n = a.get_int("max_gram_length", 0);
    m.max_skip = a.get_int("max_skip_count", 0);
    if (m.min_n < 1 || m.max_n < m.min_n || m.max_skip < 0)
        throw Error("TfIdfVectorizer gram lengths out of range", where,
                    "min_gram_length " + std::to_string(m.min_n) + ", max_gram_length " + std::to_string(m.max_n) + ", max_skip_count " +
                        std::to_string(m.max_skip) + "; 1 <= min <= max and skip >= 0 are required");
    const std::vector<int64_t> counts = a.get_ints("ngram_counts"), idx = a.get_ints("ngram_indexes"), pool = a.get_ints("pool_int64s");
    if (idx.empty()) throw Error("TfIdfVectorizer ngram_indexes is empty", where, "it sets the output size");
    for (const int64_t i : idx)
        if (i < 0) throw Error("TfIdfVectorizer ngram_indexes out of range", where, "index " + std::to_string(i) + " is negative");
    m.out_size = *std::max_element(idx.begin(), idx.end()) + 1;
    if (a.has("weights")) {
        m.weights = a.get_floats("weights");
        if (static_cast<int64_t>(m.weights.size()) < m.out_size)
            throw Error("TfIdfVectorizer weights too short", where, std::to_string(m.weights.size()) + " weights for " + std::to_string(m.out_size) + " outputs");
    }
    // ngram_counts[i]: where the pool's (i + 1)-grams start; ids number the n-grams in pool order.
    size_t id = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        const int64_t n = static_cast<int64_t>(i) + 1;
        const int64_t b = counts[i], e = i + 1 < counts.size() ? counts[i + 1] : static_cast<int64_t>(pool.size());
        if (b < 0 || e < b || e > static_cast<int64_t>(pool.size()))
            throw Error("TfIdfVectorizer ngram_counts out of range", where, "level " + std::to_string(n) + " spans [" + std::to_string(b) + ", " +
                                                                                 std::to_string(e) + ") of a pool of " + std::to_string(pool.size()));
        for (int64_t g = 0; g < (e - b) / n; ++g, ++id) {
            if (n < m.min_n || n > m.max_n) continue;
            if (id >= idx.size())
                throw Error("TfIdfVectorizer ngram_indexes too short", where, std::to_string(idx.size()) + " indexes for more n-grams in the pool");
            std::vector<int64_t> gram(pool.begin() + b + g * n, pool.begin() + b + (g + 1) * n);
            m.grams[gram] = idx[id];
            for (size_t k = 1; k <= gram.size(); ++k) m.prefixes.insert(std::vector<int64_t>(gram.begin(), gram.begin() + static_cast<std::ptrdiff_t>(k)));
        }
    }
    return m;
}

// Counts of one row of n items into freq[out_size].
inline void tfidf_count(const TfIdfModel& m, const int64_t* x, int64_t n, std::vector<int64_t>& freq) {
    int64_t start_n = m.min_n;
    std::vector<int64_t> gram;
    for (int64_t skip = 1; skip <= m.max_skip + 1; ++skip) {
        for (int64_t s = 0; s < n && s + skip * (start_n - 1) < n; ++s) {
            gram.clear();
            for (int64_t it = s; it < n && static_cast<int64_t>(gram.size()) < m.max_n; it += skip) {
                gram.push_back(x[it]);
                if (!m.prefixes.count(gram)) break;
                if (static_cast<int64_t>(gram.size()) < start_n) continue;
                const auto g = m.grams.find(gram);
                if (g != m.grams.end()) ++freq[static_cast<size_t>(g->second)];
            }
        }
        // Unigrams do not depend on the skip: counted in the first pass only.
        if (start_n == 1 && ++start_n > m.max_n) break;
    }
}

inline void register_tfidf(Registry& r) {
    r.add(OpDef{
        "TfIdfVectorizer", nullptr,
        [](InferContext& c) {
            c.expect_inputs(1, 1);
            const DType t = c.dtype(0);
            if (t != DType::i32 && t != DType::i64)
                c.fail("unsupported TfIdfVectorizer input dtype", std::string("X is ") + dtype_name(t) + "; int32 and int64 are supported (not strings)");
            const Shape& x = c.shape(0);
            if (x.rank() > 2) c.fail("TfIdfVectorizer input must be [C] or [B, C]", "X has shape " + x.str());
            const TfIdfModel m = tfidf_model(c.attrs(), c.where());
            c.set_output(0, DType::f32, x.rank() == 2 ? Shape{x[0], m.out_size} : Shape{m.out_size});
        },
        [](const PrepareContext& pc) -> Kernel {
            auto m = std::make_shared<const TfIdfModel>(tfidf_model(pc.attrs(), pc.where()));
            return [m](ExecContext& c) {
                const Tensor& x = c.input(0);
                const std::vector<int64_t> xs = x.to_i64_vector();
                const int64_t rows = x.shape().rank() == 2 ? x.shape()[0] : 1;
                const int64_t n = rows ? static_cast<int64_t>(xs.size()) / rows : 0;
                float* y = c.out[0]->data<float>();
                parallel_chunks(rows, 1, [&](int64_t rb, int64_t re) {
                    std::vector<int64_t> f(static_cast<size_t>(m->out_size));
                    for (int64_t r = rb; r < re; ++r) {
                        std::fill(f.begin(), f.end(), 0);
                        tfidf_count(*m, xs.data() + r * n, n, f);
                        for (size_t i = 0; i < f.size(); ++i) {
                            const bool w = !m->weights.empty();
                            const double v = m->mode == 1   ? static_cast<double>(f[i])
                                             : m->mode == 2 ? (f[i] > 0 ? (w ? m->weights[i] : 1.0) : 0.0)
                                                            : (w ? m->weights[i] : 1.0) * static_cast<double>(f[i]);
                            y[static_cast<size_t>(r * m->out_size) + i] = static_cast<float>(v);
                        }
                    }
                });
            };
        },
        9});
}

}  // namespace tensor_ops
}  // namespace mutiny

#endif  // MUTINY_OPS_TENSOR_TFIDF_HPP_
