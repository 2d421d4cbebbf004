// A small streaming JSON writer: enough for reports and manifests, with deterministic number
// formatting (shortest text that reads back to the same double, via %.17g trimmed), so two runs
// with the same results write byte-identical files. Non-finite numbers are written as null.
#ifndef MUTINY_REPORT_JSON_HPP_
#define MUTINY_REPORT_JSON_HPP_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace mutiny {

inline std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[40];
    // The shortest of %.15g..%.17g that round-trips.
    for (int prec = 15; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

inline std::string json_string(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': o += "\\\""; break;
            case '\\': o += "\\\\"; break;
            case '\n': o += "\\n"; break;
            case '\r': o += "\\r"; break;
            case '\t': o += "\\t"; break;
            default:
                if (c < 0x20) {
                    char b[8];
                    std::snprintf(b, sizeof b, "\\u%04x", c);
                    o += b;
                } else {
                    o += static_cast<char>(c);
                }
        }
    }
    return o + "\"";
}

// Reads back a string member of a top-level object JsonWriter wrote (indented, one member a line):
// the value of the first line `  "key": "..."` at the object's first level. False when there is none.
// Enough for `mutiny replay` to read manifest.json; not a general JSON parser.
inline bool json_top_string(const std::string& text, const std::string& key, std::string& value) {
    const std::string head = "\n  " + json_string(key) + ": \"";
    const size_t at = text.find(head);
    if (at == std::string::npos) return false;
    std::string v;
    for (size_t i = at + head.size(); i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            value = v;
            return true;
        }
        if (c != '\\') {
            v += c;
            continue;
        }
        if (++i >= text.size()) return false;
        switch (text[i]) {
            case 'n': v += '\n'; break;
            case 'r': v += '\r'; break;
            case 't': v += '\t'; break;
            case 'u':
                if (i + 4 >= text.size()) return false;
                v += static_cast<char>(std::strtol(text.substr(i + 1, 4).c_str(), nullptr, 16));
                i += 4;
                break;
            default: v += text[i];
        }
    }
    return false;
}

// Writes nested objects and arrays with two-space indentation. Usage:
//   JsonWriter j; j.begin_object(); j.key("a").value(1); j.key("b").begin_array(); ... j.end();
class JsonWriter {
public:
    JsonWriter& begin_object() { open('{'); return *this; }
    JsonWriter& begin_array() { open('['); return *this; }
    JsonWriter& end() {
        const char c = stack_.back() == '{' ? '}' : ']';
        const bool empty = first_.back();
        stack_.pop_back();
        first_.pop_back();
        if (!empty) newline();
        out_ += c;
        return *this;
    }
    JsonWriter& key(const std::string& k) {
        comma();
        out_ += json_string(k) + ": ";
        pending_key_ = true;
        return *this;
    }
    JsonWriter& value(const std::string& s) { return raw(json_string(s)); }
    JsonWriter& value(const char* s) { return raw(json_string(s)); }
    JsonWriter& value(double v) { return raw(json_number(v)); }
    JsonWriter& value(int64_t v) { return raw(std::to_string(v)); }
    JsonWriter& value(int v) { return raw(std::to_string(v)); }
    JsonWriter& value(size_t v) { return raw(std::to_string(v)); }
    JsonWriter& value(bool v) { return raw(v ? "true" : "false"); }
    JsonWriter& null() { return raw("null"); }
    // A short array of numbers on one line (kill counts, class counts).
    template <class T> JsonWriter& inline_array(const std::vector<T>& v) {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) s += ", ";
            if constexpr (std::is_floating_point_v<T>) s += json_number(static_cast<double>(v[i]));
            else s += std::to_string(v[i]);
        }
        return raw(s + "]");
    }
    JsonWriter& raw(const std::string& text) {
        if (!pending_key_) comma();
        pending_key_ = false;
        out_ += text;
        return *this;
    }
    const std::string& str() const { return out_; }

private:
    void open(char c) {
        if (!pending_key_ && !stack_.empty()) comma();
        pending_key_ = false;
        out_ += c;
        stack_.push_back(c);
        first_.push_back(true);
    }
    void comma() {
        if (stack_.empty()) return;
        if (!first_.back()) out_ += ',';
        first_.back() = false;
        newline();
    }
    void newline() {
        out_ += '\n';
        out_.append(stack_.size() * 2, ' ');
    }
    std::string out_;
    std::vector<char> stack_;
    std::vector<bool> first_;
    bool pending_key_ = false;
};

}  // namespace mutiny

#endif  // MUTINY_REPORT_JSON_HPP_
