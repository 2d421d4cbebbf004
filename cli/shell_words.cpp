#include "shell_words.hpp"

#include "args.hpp"

namespace cli {

std::string shell_quote(const std::string& s) {
    const bool safe = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=,@+-%") == std::string::npos;
    if (safe) return s;
    std::string o = "'";
    for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return o + "'";
}

std::vector<std::string> shell_split(const std::string& text, const std::string& where) {
    std::vector<std::string> words;
    std::string w;
    bool in_word = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(w);
            w.clear();
            in_word = false;
        } else if (c == '\'') {
            const size_t end = text.find('\'', i + 1);
            if (end == std::string::npos) throw UsageError(where + ": unterminated quote in '" + text + "'");
            w += text.substr(i + 1, end - i - 1);
            i = end;
            in_word = true;
        } else if (c == '\\' && i + 1 < text.size()) {
            w += text[++i];
            in_word = true;
        } else {
            w += c;
            in_word = true;
        }
    }
    if (in_word) words.push_back(w);
    return words;
}

}  // namespace cli
