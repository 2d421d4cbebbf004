// CSV fields as RFC 4180 writes them (mutants.csv, profiles.csv, the protocol's tables).
#ifndef MUTINY_REPORT_CSV_HPP_
#define MUTINY_REPORT_CSV_HPP_

#include <string>

namespace mutiny {
namespace report_detail {

// Quoted (quotes doubled) when it holds a comma, a quote or a line break; as is otherwise.
inline std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

}  // namespace report_detail
}  // namespace mutiny

#endif  // MUTINY_REPORT_CSV_HPP_
