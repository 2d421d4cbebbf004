// libFuzzer target for data-set specs (io/dataset_spec.hpp, the --data strings): schemes, file
// lists, options (@labels, @inputs) and modifiers (@first, @sample), opened against a small folder
// of valid files (IDX raw and gzip, CIFAR, image folders, a list file, .npy arrays, a Fashion-MNIST
// folder) made at start-up; the samples at both ends are then read. Specs are kept inside that
// folder: one naming '/' or '..' is skipped, so fuzzing never walks the machine's files.
//
// fuzz-seeds: tests/fuzz/corpus/dataset_spec/*
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mutiny/core/error.hpp"
#include "mutiny/io/dataset_spec.hpp"
#include "scratch.hpp"

namespace {

void put(const std::string& name, const std::vector<std::uint8_t>& b) {
    std::filesystem::create_directories((fuzz::scratch_dir() / name).parent_path());
    fuzz::scratch_file(name, b.data(), b.size());
}
std::vector<std::uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }
std::vector<std::uint8_t> npy(const std::string& descr, const std::string& shape, std::vector<std::uint8_t> data) {
    std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    std::vector<std::uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(h.size()), static_cast<std::uint8_t>(h.size() >> 8)};
    b.insert(b.end(), h.begin(), h.end());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

// The folder every spec is opened in (made once, then the working folder).
void make_folder() {
    const std::vector<std::uint8_t> images = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<std::uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 2, 3, 9};
    put("images.idx", images);
    put("labels.idx", labels);
    put("fm/t10k-images-idx3-ubyte", images);
    put("fm/t10k-labels-idx1-ubyte", labels);
    std::vector<std::uint8_t> cifar(3073, 17);
    cifar[0] = 4;
    put("cifar.bin", cifar);
    put("classes/a/x.pgm", text(std::string("P5\n2 2\n255\n") + "\x01\x02\x03\x04"));
    put("classes/b/y.pgm", text(std::string("P5\n1 1\n255\n") + "\x09"));
    put("list.txt", text("classes/a/x.pgm 0\nclasses/b/y.pgm 1\n"));
    put("x.npy", npy("<f4", "(2, 3)", std::vector<std::uint8_t>(24, 0x3f)));
    put("y.npy", npy("<i8", "(2,)", {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    std::filesystem::current_path(fuzz::scratch_dir());
    ::setenv("MUTINY_FASHION_MNIST_DIR", "fm", 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool made = (make_folder(), true);
    (void)made;
    const std::string spec(reinterpret_cast<const char*>(data), size);
    if (size > 512 || spec.find('/') != std::string::npos || spec.find("..") != std::string::npos ||
        spec.find('\0') != std::string::npos || spec.find('~') != std::string::npos)
        return 0;
    try {
        const auto ds = mutiny::open_dataset(spec);
        const size_t n = ds->size();
        (void)ds->name();
        (void)ds->class_names();
        for (size_t i : {size_t(0), n - 1}) {
            if (i >= n) continue;
            try {
                (void)ds->label(i);
                if (!ds->holds_tensors()) (void)ds->get(i);
            } catch (const mutiny::Error&) {
            }
        }
    } catch (const mutiny::Error&) {
    }
    return 0;
}
