// An output file a command writes whole or not at all (`run --out`, `cluster --out`, `--labels`):
// the content goes to a temporary next to the target (DIR/.NAME.tmp), which replaces the target by
// rename only once it is complete and flushed (commit()). Until then an existing target is left as
// it was, and a failure (an exception, a full disk) removes the temporary: no half-written target,
// no stray OUT.tmp. The path "-" means standard output, written whole at commit() the same way.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace cli {

class ReplacingFile {
public:
    explicit ReplacingFile(std::string path);  // throws mutiny::Error when the temporary cannot be created
    ~ReplacingFile();                          // removes the temporary unless committed
    ReplacingFile(const ReplacingFile&) = delete;
    ReplacingFile& operator=(const ReplacingFile&) = delete;

    std::ostream& stream() { return to_stdout() ? static_cast<std::ostream&>(buffer_) : out_; }
    // "-": the content goes to standard output (so a command's own messages go to stderr).
    bool to_stdout() const { return path_ == "-"; }
    // Closes the temporary and renames it over the target; throws (removing the temporary) when a
    // write failed or the rename does.
    void commit();

private:
    std::string path_, tmp_;
    std::ofstream out_;
    std::ostringstream buffer_;  // for "-": held until commit(), so a failed command prints nothing
    bool committed_ = false;
};

}  // namespace cli
