// Image files as a data set: specs folder:DIR (one subfolder per class, classes in sorted byte
// order), list:FILE (lines "path label", relative paths relative to FILE's folder) and images:DIR
// (unlabelled, sorted by name). An image is decoded when its sample is requested.
#ifndef MUTINY_IO_IMAGE_FOLDER_HPP_
#define MUTINY_IO_IMAGE_FOLDER_HPP_

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "dataset_base.hpp"
#include "image.hpp"
#include "preprocess.hpp"

namespace mutiny {

namespace io_detail {

inline bool is_image_file(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".pgm" || ext == ".ppm";
}

inline bool is_hidden(const std::filesystem::path& p) {
    const std::string n = p.filename().string();
    return !n.empty() && n[0] == '.';
}

}  // namespace io_detail

class ImageFilesDataset : public Dataset {
public:
    struct Entry {
        std::string path;
        int label = -1;
    };
    ImageFilesDataset(std::vector<Entry> entries, std::vector<std::string> classes, bool labelled, std::string name)
        : entries_(std::move(entries)), classes_(std::move(classes)), labelled_(labelled), name_(std::move(name)) {}

    size_t size() const override { return entries_.size(); }
    bool labelled() const override { return labelled_; }
    std::string name() const override { return name_; }
    std::vector<std::string> class_names() const override { return classes_; }
    const std::vector<Entry>& entries() const { return entries_; }
    int label(size_t i) const override {
        check_index(i);
        return entries_[i].label;
    }
    Sample get(size_t i) const override {
        check_index(i);
        Sample s;
        s.image = load_image(entries_[i].path);
        s.label = entries_[i].label;
        s.source = entries_[i].path;
        return s;
    }

    // folder:DIR
    static std::unique_ptr<ImageFilesDataset> from_folder(const std::string& dir, const std::string& name) {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            throw Error("data-set folder not found", name, "'" + dir + "' is not a directory");
        std::vector<std::string> classes;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.is_directory() && !io_detail::is_hidden(e.path())) classes.push_back(e.path().filename().string());
        if (ec) throw Error("cannot list folder", dir, ec.message());
        std::sort(classes.begin(), classes.end());
        if (classes.empty())
            throw Error("data set is empty", name, "'" + dir + "' has no class subfolders (folder:DIR wants one per class)");
        std::vector<Entry> entries;
        for (size_t c = 0; c < classes.size(); ++c) {
            std::vector<std::string> files;
            const fs::path cdir = fs::path(dir) / classes[c];
            for (auto it = fs::recursive_directory_iterator(cdir, fs::directory_options::follow_directory_symlink, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (io_detail::is_hidden(it->path())) {
                    if (it->is_directory()) it.disable_recursion_pending();
                    continue;
                }
                if (it->is_regular_file() && io_detail::is_image_file(it->path())) files.push_back(it->path().string());
            }
            if (ec) throw Error("cannot list folder", cdir.string(), ec.message());
            std::sort(files.begin(), files.end());
            for (auto& f : files) entries.push_back({std::move(f), static_cast<int>(c)});
        }
        if (entries.empty())
            throw Error("data set is empty", name,
                        "no image files (.png .jpg .jpeg .bmp .pgm .ppm) in the class subfolders of '" + dir + "'");
        return std::make_unique<ImageFilesDataset>(std::move(entries), std::move(classes), true, name);
    }

    // images:DIR
    static std::unique_ptr<ImageFilesDataset> from_images(const std::string& dir, const std::string& name) {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            throw Error("data-set folder not found", name, "'" + dir + "' is not a directory");
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.is_regular_file() && !io_detail::is_hidden(e.path()) && io_detail::is_image_file(e.path()))
                files.push_back(e.path().string());
        if (ec) throw Error("cannot list folder", dir, ec.message());
        if (files.empty())
            throw Error("data set is empty", name, "no image files (.png .jpg .jpeg .bmp .pgm .ppm) in '" + dir + "'");
        std::sort(files.begin(), files.end());
        std::vector<Entry> entries;
        for (auto& f : files) entries.push_back({std::move(f), -1});
        return std::make_unique<ImageFilesDataset>(std::move(entries), std::vector<std::string>{}, false, name);
    }

    // list:FILE — lines "path label" (the label is the last field, so paths may hold spaces);
    // blank lines and lines starting with '#' are skipped; label -1 means unknown.
    static std::unique_ptr<ImageFilesDataset> from_list(const std::string& file, const std::string& name) {
        namespace fs = std::filesystem;
        io_detail::require_file(file, name);
        std::ifstream in(file);
        if (!in) throw Error("cannot open file", file, errno ? std::strerror(errno) : "open failed");
        const fs::path base = fs::path(file).parent_path();
        std::vector<Entry> entries;
        std::string line;
        size_t lineno = 0;
        bool any_label = false;
        while (std::getline(in, line)) {
            ++lineno;
            const std::string t = io_detail::trim(line);
            if (t.empty() || t[0] == '#') continue;
            const std::string where = file + ":" + std::to_string(lineno);
            size_t sp = t.find_last_of(" \t");
            if (sp == std::string::npos)
                throw Error("bad line in image list", where, "expected 'path label', got '" + t + "'");
            const std::string path_text = io_detail::trim(t.substr(0, sp));
            const std::string label_text = t.substr(sp + 1);
            int64_t v = 0;
            int label = -1;
            if (label_text == "-1") label = -1;
            else if (io_detail::parse_int(label_text, INT32_MAX, v)) label = static_cast<int>(v);
            else
                throw Error("bad line in image list", where,
                            "label '" + label_text + "' is not a non-negative integer (or -1 for unknown)");
            if (label >= 0) any_label = true;
            fs::path p(path_text);
            if (p.is_relative()) p = base / p;
            std::error_code ec;
            if (!fs::is_regular_file(p, ec))
                throw Error("listed image not found", where, "'" + p.string() + "' does not exist");
            entries.push_back({p.string(), label});
        }
        if (entries.empty()) throw Error("data set is empty", name, "'" + file + "' lists no images");
        return std::make_unique<ImageFilesDataset>(std::move(entries), std::vector<std::string>{}, any_label, name);
    }

private:
    std::vector<Entry> entries_;
    std::vector<std::string> classes_;
    bool labelled_ = false;
    std::string name_;
};

}  // namespace mutiny

#endif  // MUTINY_IO_IMAGE_FOLDER_HPP_
