// Tensors: a dtype, a concrete shape and a reference to 64-byte aligned storage. Copies share
// storage (cheap, like a shared_ptr); clone() makes a deep copy. Storage may also wrap memory
// owned elsewhere (a mapped model file) through a custom releaser.
#ifndef MUTINY_CORE_TENSOR_HPP_
#define MUTINY_CORE_TENSOR_HPP_

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <vector>

#include "checked.hpp"
#include "dtype.hpp"
#include "error.hpp"
#include "shape.hpp"

namespace mutiny {

constexpr size_t kAlignment = 64;

class Storage {
public:
    explicit Storage(size_t nbytes) : size_(nbytes) {
        const size_t rounded = ((nbytes + kAlignment - 1) / kAlignment) * kAlignment;
        data_ = rounded ? std::aligned_alloc(kAlignment, rounded) : nullptr;
        if (rounded && !data_)
            throw Error("out of memory", "tensor storage", "cannot allocate " + std::to_string(nbytes) + " bytes");
        if (rounded) std::memset(data_, 0, rounded);
        release_ = [](void* p) { std::free(p); };
    }
    Storage(void* external, size_t nbytes, std::function<void(void*)> release)
        : data_(external), size_(nbytes), release_(std::move(release)) {}
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
    ~Storage() {
        if (data_ && release_) release_(data_);
    }
    void* data() const { return data_; }
    size_t size() const { return size_; }

private:
    void* data_ = nullptr;
    size_t size_ = 0;
    std::function<void(void*)> release_;
};

class Tensor {
public:
    Tensor() = default;
    Tensor(DType t, Shape s) : dtype_(t), shape_(std::move(s)) {
        if (!shape_.is_concrete())
            throw Error("tensor with symbolic shape", shape_.str(), "tensors need concrete dimensions");
        // max_tensor_bytes() (core/checked.hpp) bounds every allocation.
        checked::bytes(shape_.checked_numel("tensor " + shape_.str()), dtype_size(t), "tensor", "tensor " + shape_.str());
        storage_ = std::make_shared<Storage>(nbytes());
    }
    Tensor(DType t, Shape s, std::shared_ptr<Storage> storage, size_t offset = 0)
        : dtype_(t), shape_(std::move(s)), storage_(std::move(storage)), offset_(offset) {
        if (storage_ && offset_ + nbytes() > storage_->size())
            throw Error("tensor view past its storage", shape_.str(), "storage too small");
    }

    template <class T>
    static Tensor from_vector(Shape s, const std::vector<T>& v) {
        Tensor t(dtype_of<T>::value, std::move(s));
        if (static_cast<size_t>(t.numel()) != v.size())
            throw Error("tensor size mismatch", t.shape().str(),
                        std::to_string(v.size()) + " values for " + std::to_string(t.numel()) + " elements");
        if (!v.empty()) std::memcpy(t.raw(), v.data(), v.size() * sizeof(T));
        return t;
    }
    template <class T>
    static Tensor scalar(T v) { return from_vector<T>(Shape{}, std::vector<T>{v}); }

    bool empty() const { return storage_ == nullptr; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t numel() const { return shape_.numel(); }
    size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

    void* raw() { return storage_ ? static_cast<char*>(storage_->data()) + offset_ : nullptr; }
    const void* raw() const { return storage_ ? static_cast<const char*>(storage_->data()) + offset_ : nullptr; }

    template <class T>
    T* data() {
        check_type<T>();
        return static_cast<T*>(raw());
    }
    template <class T>
    const T* data() const {
        check_type<T>();
        return static_cast<const T*>(raw());
    }
    template <class T>
    std::vector<T> to_vector() const {
        const T* p = data<T>();
        return std::vector<T>(p, p + numel());
    }

    // Same storage, new shape with the same element count.
    Tensor reshaped(Shape s) const {
        if (s.numel() != numel())
            throw Error("reshape changes element count", shape_.str() + " -> " + s.str(), "counts differ");
        Tensor t = *this;
        t.shape_ = std::move(s);
        return t;
    }
    // Same storage and shape, read as another dtype of the same size (bits unchanged).
    Tensor bitcast(DType t) const {
        if (dtype_size(t) != dtype_size(dtype_))
            throw Error("bitcast between dtypes of different sizes", shape_.str(), std::string(dtype_name(dtype_)) + " -> " + dtype_name(t));
        Tensor r = *this;
        r.dtype_ = t;
        return r;
    }
    Tensor clone() const {
        Tensor t(dtype_, shape_);
        if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
        return t;
    }
    bool bitwise_equal(const Tensor& o) const {
        return dtype_ == o.dtype_ && shape_ == o.shape_ &&
               (nbytes() == 0 || std::memcmp(raw(), o.raw(), nbytes()) == 0);
    }
    const std::shared_ptr<Storage>& storage() const { return storage_; }

    // Reads element i of any numeric dtype as double / int64 (for shape tensors, attributes, tests).
    double get_f64(int64_t i) const {
        if (dtype_ == DType::bf16) return bf16_bits_to_float(static_cast<const uint16_t*>(raw())[i]);
        return dispatch_dtype(dtype_, [&](auto v) -> double {
            using T = decltype(v);
            const T x = static_cast<const T*>(raw())[i];
            if constexpr (std::is_same_v<T, half>) return static_cast<float>(x);
            else return static_cast<double>(x);
        });
    }
    int64_t get_i64(int64_t i) const {
        if (dtype_ == DType::bf16) return static_cast<int64_t>(bf16_bits_to_float(static_cast<const uint16_t*>(raw())[i]));
        return dispatch_dtype(dtype_, [&](auto v) -> int64_t {
            using T = decltype(v);
            const T x = static_cast<const T*>(raw())[i];
            if constexpr (std::is_same_v<T, half>) return static_cast<int64_t>(static_cast<float>(x));
            else return static_cast<int64_t>(x);
        });
    }
    std::vector<int64_t> to_i64_vector() const {
        std::vector<int64_t> v(static_cast<size_t>(numel()));
        for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = get_i64(i);
        return v;
    }

private:
    template <class T>
    void check_type() const {
        constexpr DType want = dtype_of<T>::value;
        const bool ok = dtype_ == want || (dtype_ == DType::boolean && want == DType::u8);
        if (!ok)
            throw Error("tensor dtype mismatch", shape_.str(),
                        std::string("tensor is ") + dtype_name(dtype_) + ", accessed as " + dtype_name(want));
    }

    DType dtype_ = DType::f32;
    Shape shape_;
    std::shared_ptr<Storage> storage_;
    size_t offset_ = 0;
};

}  // namespace mutiny

#endif  // MUTINY_CORE_TENSOR_HPP_
