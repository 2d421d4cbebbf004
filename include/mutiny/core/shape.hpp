// Shapes: a list of dimensions, numpy broadcasting, and strides. A dimension of -1 means
// "symbolic batch" in graph-level shapes; executors always see concrete shapes.
#ifndef MUTINY_CORE_SHAPE_HPP_
#define MUTINY_CORE_SHAPE_HPP_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "checked.hpp"
#include "error.hpp"

namespace mutiny {

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<int64_t> d) : dims_(d) {}
    explicit Shape(std::vector<int64_t> d) : dims_(std::move(d)) {}

    size_t rank() const { return dims_.size(); }
    int64_t operator[](size_t i) const { return dims_[i]; }
    int64_t& operator[](size_t i) { return dims_[i]; }
    const std::vector<int64_t>& dims() const { return dims_; }
    std::vector<int64_t>& dims() { return dims_; }
    auto begin() const { return dims_.begin(); }
    auto end() const { return dims_.end(); }
    bool operator==(const Shape& o) const { return dims_ == o.dims_; }
    bool operator!=(const Shape& o) const { return dims_ != o.dims_; }

    bool is_concrete() const {
        for (auto d : dims_) if (d < 0) return false;
        return true;
    }
    int64_t numel() const {
        int64_t n = 1;
        for (auto d : dims_) n *= d;
        return n;
    }
    // numel() with the sign, overflow and extent checks of checked::numel, for shapes that come
    // from files.
    int64_t checked_numel(const std::string& where) const { return checked::numel(dims_, "tensor", where); }
    // Product of dims in [from, to).
    int64_t product(size_t from, size_t to) const {
        int64_t n = 1;
        for (size_t i = from; i < to && i < dims_.size(); ++i) n *= dims_[i];
        return n;
    }
    std::vector<int64_t> strides() const {
        std::vector<int64_t> s(dims_.size(), 1);
        for (size_t i = dims_.size(); i-- > 1;) s[i - 1] = s[i] * dims_[i];
        return s;
    }
    std::string str() const {
        std::string s = "[";
        for (size_t i = 0; i < dims_.size(); ++i) {
            if (i) s += ",";
            s += dims_[i] < 0 ? std::string("N") : std::to_string(dims_[i]);
        }
        return s + "]";
    }

    // numpy broadcasting of two shapes; `where` names the node for the error.
    static Shape broadcast(const Shape& a, const Shape& b, const std::string& where = "") {
        const size_t r = std::max(a.rank(), b.rank());
        std::vector<int64_t> out(r);
        for (size_t i = 0; i < r; ++i) {
            const int64_t da = i < r - a.rank() ? 1 : a[i - (r - a.rank())];
            const int64_t db = i < r - b.rank() ? 1 : b[i - (r - b.rank())];
            if (da == db || db == 1) out[i] = da;
            else if (da == 1) out[i] = db;
            else
                throw Error("shapes do not broadcast", where,
                            a.str() + " and " + b.str() + " differ at axis " + std::to_string(i));
        }
        return Shape(std::move(out));
    }

private:
    std::vector<int64_t> dims_;
};

// Normalises a possibly negative axis against a rank, with a clear error when out of range.
inline int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& where) {
    if (axis < -rank || axis >= rank)
        throw Error("axis out of range", where,
                    "axis " + std::to_string(axis) + " for rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
}

// Strides of `in` broadcast to `out` (0 along broadcast axes), aligned to out's rank.
inline std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
    std::vector<int64_t> s(out.rank(), 0);
    const auto is = in.strides();
    const size_t off = out.rank() - in.rank();
    for (size_t i = 0; i < in.rank(); ++i) s[off + i] = in[i] == 1 ? 0 : is[i];
    return s;
}

}  // namespace mutiny

#endif  // MUTINY_CORE_SHAPE_HPP_
