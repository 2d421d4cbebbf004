// Typed node attributes, keyed by name (ONNX's names and meanings are Mutiny's canonical ones).
#ifndef MUTINY_GRAPH_ATTRIBUTES_HPP_
#define MUTINY_GRAPH_ATTRIBUTES_HPP_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace mutiny {

class Graph;  // graph.hpp: a subgraph attribute (If's branches, Loop's and Scan's body) holds one

struct Attribute {
    enum class Kind : uint8_t { i, f, s, ints, floats, strings, tensor, graph };
    Kind kind = Kind::i;
    int64_t i = 0;
    double f = 0;
    std::string s;
    std::vector<int64_t> ints;
    std::vector<double> floats;
    std::vector<std::string> strings;
    Tensor t;
    // Immutable once imported, so copies of a graph (mutants) share their subgraphs.
    std::shared_ptr<const Graph> g;

    static Attribute of_int(int64_t v) { Attribute a; a.kind = Kind::i; a.i = v; return a; }
    static Attribute of_float(double v) { Attribute a; a.kind = Kind::f; a.f = v; return a; }
    static Attribute of_string(std::string v) { Attribute a; a.kind = Kind::s; a.s = std::move(v); return a; }
    static Attribute of_ints(std::vector<int64_t> v) { Attribute a; a.kind = Kind::ints; a.ints = std::move(v); return a; }
    static Attribute of_floats(std::vector<double> v) { Attribute a; a.kind = Kind::floats; a.floats = std::move(v); return a; }
    static Attribute of_strings(std::vector<std::string> v) { Attribute a; a.kind = Kind::strings; a.strings = std::move(v); return a; }
    static Attribute of_tensor(Tensor v) { Attribute a; a.kind = Kind::tensor; a.t = std::move(v); return a; }
    static Attribute of_graph(std::shared_ptr<const Graph> v) { Attribute a; a.kind = Kind::graph; a.g = std::move(v); return a; }

    bool operator==(const Attribute& o) const {
        return kind == o.kind && i == o.i && f == o.f && s == o.s && ints == o.ints && floats == o.floats &&
               strings == o.strings && (t.empty() == o.t.empty()) && (t.empty() || t.bitwise_equal(o.t)) && g == o.g;
    }
};

inline const char* attribute_kind_name(Attribute::Kind k) {
    switch (k) {
        case Attribute::Kind::i: return "int";
        case Attribute::Kind::f: return "float";
        case Attribute::Kind::s: return "string";
        case Attribute::Kind::ints: return "ints";
        case Attribute::Kind::floats: return "floats";
        case Attribute::Kind::strings: return "strings";
        case Attribute::Kind::tensor: return "tensor";
        case Attribute::Kind::graph: return "graph";
    }
    return "?";
}

class Attributes {
public:
    bool has(const std::string& k) const { return map_.count(k) != 0; }
    void set(const std::string& k, Attribute a) { map_[k] = std::move(a); }
    void set_int(const std::string& k, int64_t v) { set(k, Attribute::of_int(v)); }
    void set_float(const std::string& k, double v) { set(k, Attribute::of_float(v)); }
    void set_string(const std::string& k, std::string v) { set(k, Attribute::of_string(std::move(v))); }
    void set_ints(const std::string& k, std::vector<int64_t> v) { set(k, Attribute::of_ints(std::move(v))); }
    void set_floats(const std::string& k, std::vector<double> v) { set(k, Attribute::of_floats(std::move(v))); }
    void set_strings(const std::string& k, std::vector<std::string> v) { set(k, Attribute::of_strings(std::move(v))); }
    void set_tensor(const std::string& k, Tensor v) { set(k, Attribute::of_tensor(std::move(v))); }
    void erase(const std::string& k) { map_.erase(k); }

    int64_t get_int(const std::string& k, int64_t def) const {
        auto it = map_.find(k);
        return it == map_.end() ? def : expect(it->second, Attribute::Kind::i, k).i;
    }
    double get_float(const std::string& k, double def) const {
        auto it = map_.find(k);
        if (it == map_.end()) return def;
        if (it->second.kind == Attribute::Kind::i) return static_cast<double>(it->second.i);
        return expect(it->second, Attribute::Kind::f, k).f;
    }
    std::string get_string(const std::string& k, const std::string& def) const {
        auto it = map_.find(k);
        return it == map_.end() ? def : expect(it->second, Attribute::Kind::s, k).s;
    }
    std::vector<int64_t> get_ints(const std::string& k, std::vector<int64_t> def = {}) const {
        auto it = map_.find(k);
        return it == map_.end() ? def : expect(it->second, Attribute::Kind::ints, k).ints;
    }
    std::vector<double> get_floats(const std::string& k, std::vector<double> def = {}) const {
        auto it = map_.find(k);
        return it == map_.end() ? def : expect(it->second, Attribute::Kind::floats, k).floats;
    }
    std::vector<std::string> get_strings(const std::string& k, std::vector<std::string> def = {}) const {
        auto it = map_.find(k);
        return it == map_.end() ? def : expect(it->second, Attribute::Kind::strings, k).strings;
    }
    const Tensor& get_tensor(const std::string& k) const {
        auto it = map_.find(k);
        if (it == map_.end()) throw Error("missing attribute '" + k + "'", "", "a tensor attribute is required");
        return expect(it->second, Attribute::Kind::tensor, k).t;
    }
    // A subgraph attribute (then_branch, body, ...); nullptr when absent.
    const Graph* get_graph(const std::string& k) const {
        auto it = map_.find(k);
        return it == map_.end() ? nullptr : expect(it->second, Attribute::Kind::graph, k).g.get();
    }
    std::shared_ptr<const Graph> share_graph(const std::string& k) const {
        auto it = map_.find(k);
        return it == map_.end() ? nullptr : expect(it->second, Attribute::Kind::graph, k).g;
    }
    const std::map<std::string, Attribute>& all() const { return map_; }
    bool operator==(const Attributes& o) const { return map_ == o.map_; }

private:
    static const Attribute& expect(const Attribute& a, Attribute::Kind k, const std::string& name) {
        if (a.kind != k)
            throw Error("attribute '" + name + "' has the wrong type", "",
                        std::string("expected ") + attribute_kind_name(k) + ", got " + attribute_kind_name(a.kind));
        return a;
    }
    std::map<std::string, Attribute> map_;
};

}  // namespace mutiny

#endif  // MUTINY_GRAPH_ATTRIBUTES_HPP_
