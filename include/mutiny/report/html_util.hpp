// Text helpers of the HTML reports: escaping and number formatting (report.html, the clustering
// and prioritisation sections).
#ifndef MUTINY_REPORT_HTML_UTIL_HPP_
#define MUTINY_REPORT_HTML_UTIL_HPP_

#include <cstdio>
#include <string>

namespace mutiny {

inline std::string html_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    }
    return o;
}

inline std::string fmt_pct(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f%%", 100.0 * v);
    return b;
}

inline std::string fmt_num(double v, const char* f = "%.4g") {
    char b[48];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

}  // namespace mutiny

#endif  // MUTINY_REPORT_HTML_UTIL_HPP_
