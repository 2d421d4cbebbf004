// mutiny replay DIR/manifest.json [--out DIR2]: reruns the campaign a manifest records (its command,
// into another folder) and checks that it gives the same results: report.json up to its "timing"
// member, mutants.csv but for its per-device seconds columns, and every kill matrix, byte for byte.
// A model file that changed since is refused before anything runs; changed data are named after
// the rerun (the data's hash is taken by the campaign).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <mutiny/core/error.hpp>
#include <mutiny/report/json.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "model_file.hpp"
#include "shell_words.hpp"

namespace cli {

namespace {

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw mutiny::Error("cannot open file", path, "No such file or directory");
    std::ostringstream os;
    os << f.rdbuf();
    return os.str();
}

std::string manifest_field(const std::string& text, const std::string& key, const std::string& path) {
    std::string v;
    if (!mutiny::json_top_string(text, key, v)) throw mutiny::Error("not a campaign manifest", path, "it has no \"" + key + "\" member");
    return v;
}

// What of a campaign file must be identical between runs: report.json up to "timing", mutants.csv
// without its "<device> seconds" columns, the rest whole.
std::string comparable(const std::string& name, const std::string& text) {
    if (name == "report.json") return text.substr(0, text.find("\n  \"timing\""));
    if (name != "mutants.csv") return text;
    std::istringstream in(text);
    std::string line, out;
    std::vector<bool> drop;
    while (std::getline(in, line)) {
        // Fields split at commas outside quotes.
        std::vector<std::string> cells(1);
        bool quoted = false;
        for (char c : line) {
            if (c == '"') quoted = !quoted;
            if (c == ',' && !quoted) cells.emplace_back();
            else cells.back() += c;
        }
        if (drop.empty())
            for (const auto& c : cells) drop.push_back(c.size() > 8 && c.compare(c.size() - 8, 8, " seconds") == 0);
        for (size_t i = 0; i < cells.size(); ++i)
            if (i >= drop.size() || !drop[i]) out += cells[i] + ",";
        out += "\n";
    }
    return out;
}

// "line N: 'a' here, 'b' in the replay": the first line that differs.
std::string first_difference(const std::string& a, const std::string& b) {
    std::istringstream x(a), y(b);
    std::string la, lb;
    for (size_t n = 1;; ++n) {
        const bool ha = static_cast<bool>(std::getline(x, la)), hb = static_cast<bool>(std::getline(y, lb));
        if (!ha && !hb) return "the files differ";
        if (ha != hb || la != lb) {
            auto cut = [](const std::string& s) { return s.size() > 100 ? s.substr(0, 100) + "..." : s; };
            return "line " + std::to_string(n) + ": '" + (ha ? cut(la) : "") + "' in the campaign, '" + (hb ? cut(lb) : "") + "' in the replay";
        }
    }
}

}  // namespace

int cmd_replay(int argc, char** argv) {
    Args a(argc, argv, 2, {"out"}, {"help", "quiet"});
    if (a.has("help")) {
        std::cout << "usage: mutiny replay DIR/manifest.json [--out DIR2] [--quiet]\n"
                     "Reruns the campaign a manifest.json records, with its command, into DIR2 (default DIR/replay), and\n"
                     "checks the results are the same: report.json up to \"timing\", mutants.csv but for the seconds\n"
                     "columns, and every kill matrix, byte for byte. A model file that changed since the campaign is\n"
                     "refused before the rerun, and changed data are named; exit 1 when anything differs.\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("replay needs exactly one manifest.json");
    const std::string manifest = a.positionals()[0];
    if (a.get("out") == "-") throw UsageError("--out -: replay writes a campaign folder, not to stdout; name a folder");
    const std::string text = read_text(manifest);
    const std::string command = manifest_field(text, "command", manifest);
    const std::string model = manifest_field(text, "model", manifest), model_hash = manifest_field(text, "model_hash", manifest);
    std::string data_hash, data;
    const bool has_data_hash = mutiny::json_top_string(text, "data_hash", data_hash) && !data_hash.empty();
    mutiny::json_top_string(text, "data", data);
    const std::filesystem::path dir = std::filesystem::path(manifest).parent_path().empty() ? "." : std::filesystem::path(manifest).parent_path();

    // The model first: a changed file says so before a whole campaign runs.
    const std::string now = model_file_hash(model);
    if (now != model_hash)
        throw mutiny::Error("the model changed since the campaign", model, "the manifest records " + model_hash + ", the file is now " + now);

    std::vector<std::string> words = shell_split(command, manifest + " \"command\"");
    if (words.size() < 2 || words[0] != "mutiny" || words[1] != "campaign")
        throw mutiny::Error("not a campaign manifest", manifest, "its command is not 'mutiny campaign ...'");
    const std::string out = a.get("out", (dir / "replay").string());
    // The same arguments, but --out is the replay's folder and the run starts over.
    std::vector<std::string> args{"mutiny", "campaign"};
    for (size_t i = 2; i < words.size(); ++i) {
        if (words[i] == "--resume") continue;
        if (words[i] == "--out" && i + 1 < words.size()) {
            ++i;
            continue;
        }
        if (words[i].rfind("--out=", 0) == 0) continue;
        args.push_back(words[i]);
    }
    args.push_back("--out");
    args.push_back(out);
    if (a.has("quiet") && std::find(args.begin(), args.end(), "--quiet") == args.end()) args.push_back("--quiet");
    std::vector<char*> av;
    for (auto& s : args) av.push_back(s.data());
    av.push_back(nullptr);
    std::cout << "replay: " << command << "\n  into " << out << "\n";
    const int rc = cmd_campaign(static_cast<int>(args.size()), av.data());
    if (rc != 0) return rc;

    const std::string replayed = read_text(out + "/manifest.json");
    std::string data_hash_now;
    mutiny::json_top_string(replayed, "data_hash", data_hash_now);
    if (has_data_hash && data_hash_now != data_hash)
        throw mutiny::Error("the data changed since the campaign", data, "the manifest records " + data_hash + ", the data now hash to " + data_hash_now);

    std::vector<std::string> files{"report.json", "mutants.csv"};
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("kill_matrix-", 0) == 0 && e.path().extension() == ".txt") files.push_back(n);
    }
    std::sort(files.begin() + 2, files.end());
    std::string same;
    for (const auto& n : files) {
        const std::string was = comparable(n, read_text((dir / n).string()));
        const std::string got = comparable(n, read_text(out + "/" + n));
        if (was != got) throw mutiny::Error("the replay differs from the campaign", (dir / n).string(), first_difference(was, got));
        same += (same.empty() ? "" : ", ") + n;
    }
    std::cout << "replay: identical to " << dir.string() << ": " << same << " (timing aside)"
              << (has_data_hash ? "; model and data unchanged" : "; model unchanged (the manifest has no data hash)") << "\n";
    return 0;
}

}  // namespace cli
