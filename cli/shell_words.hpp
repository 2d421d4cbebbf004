// A command line as text and back: manifest.json records the campaign's arguments as a POSIX shell
// reads them (shell_quote), and `mutiny replay` splits that text into the same arguments again.
#pragma once

#include <string>
#include <vector>

namespace cli {

// Bare when the argument holds only characters a shell leaves alone, else in single quotes.
std::string shell_quote(const std::string& s);

// Splits text shell_quote-joined (blanks between words, '...' quoting, \ escaping outside quotes);
// throws UsageError naming `where` on an unterminated quote.
std::vector<std::string> shell_split(const std::string& text, const std::string& where);

}  // namespace cli
