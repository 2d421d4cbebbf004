// The vectors file of `mutiny cluster`: CSV rows of numbers, one vector per row.
#ifndef MUTINY_IO_CSV_VECTORS_HPP_
#define MUTINY_IO_CSV_VECTORS_HPP_

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"

namespace mutiny {

struct CsvVectors {
    int64_t n = 0, d = 0;
    std::vector<double> values;
};

// Parses one cell as a double; false if it is not entirely a number (surrounding blanks allowed).
inline bool parse_csv_cell(const std::string& cell, double& v) {
    const char* b = cell.c_str();
    char* end = nullptr;
    errno = 0;
    v = std::strtod(b, &end);
    if (end == b) return false;
    while (*end == ' ' || *end == '\t' || *end == '\r') ++end;
    return *end == '\0';
}

// Numbers only, one vector per row, all rows the same length. The first row is a header (skipped)
// only when none of its cells is a number; a non-numeric cell in any other row, or in a first row
// that has a number in it (a data row with a typo, which must not be dropped silently), is an error
// naming `path` (the file), line and column.
inline CsvVectors read_csv_vectors(std::istream& in, const std::string& path) {
    CsvVectors out;
    std::string line;
    int64_t lineno = 0;
    bool first = true;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, ',')) cells.push_back(cell);
        if (line.back() == ',') cells.emplace_back();
        std::vector<double> row(cells.size());
        size_t bad = cells.size();
        for (size_t c = 0; c < cells.size() && bad == cells.size(); ++c)
            if (!parse_csv_cell(cells[c], row[c])) bad = c;
        bool any_number = false;
        double ignored = 0;
        for (const auto& c : cells) any_number = any_number || parse_csv_cell(c, ignored);
        const bool header = first && !any_number;
        first = false;
        if (header) continue;
        const std::string where = path + " line " + std::to_string(lineno);
        if (bad != cells.size())
            throw Error("not a number: '" + cells[bad] + "'", where + " column " + std::to_string(bad + 1),
                        "vectors must be numbers only (a first row is a header only when none of its cells is a number)");
        for (size_t c = 0; c < row.size(); ++c)
            if (!std::isfinite(row[c]))
                throw Error("non-finite value '" + cells[c] + "'", where + " column " + std::to_string(c + 1),
                            "NaN and infinity have no distance");
        if (out.n == 0) out.d = static_cast<int64_t>(row.size());
        if (static_cast<int64_t>(row.size()) != out.d)
            throw Error("row has " + std::to_string(row.size()) + " values", where,
                        "every row must have " + std::to_string(out.d) + " like the first");
        out.values.insert(out.values.end(), row.begin(), row.end());
        ++out.n;
    }
    return out;
}

inline CsvVectors read_csv_vectors(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error("cannot open vectors file", path, "no such file or not readable");
    return read_csv_vectors(in, path);
}

}  // namespace mutiny

#endif  // MUTINY_IO_CSV_VECTORS_HPP_
