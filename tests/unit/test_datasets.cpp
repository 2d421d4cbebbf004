// Data sets (mutiny/io/dataset.hpp): IDX (raw and gzip), CIFAR, folders and lists, @first and
// @sample, make_batch, and Debian's Fashion-MNIST. Fixtures (tiny IDX, gzip, CIFAR records, PNG
// files) are written at test time into a temp folder (io_fixtures.hpp). Fashion-MNIST values were
// read with python3 + gzip + numpy; @sample indices were checked against an independent Python
// implementation of mt19937_64 (which reproduces the standard's 10000th-output check value).
#include <doctest/doctest.h>

#include "io_fixtures.hpp"
#include "support/support.hpp"

#include <random>

namespace fs = std::filesystem;
using namespace mutiny;
using namespace io_fixtures;
using mutiny_test::contains;
using mutiny_test::error_of;

TEST_CASE("dataset: IDX images and labels, raw and gzip") {
    TempDir tmp("idx");
    // 3 images of 2 rows x 3 columns.
    std::vector<uint8_t> px(18);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 10);
    const auto images = idx_bytes(0x08, {3, 2, 3}, px);
    const auto labels = idx_bytes(0x08, {3}, {7, 0, 9});
    write_bytes(tmp / "img.idx", images);
    write_bytes(tmp / "lab.idx", labels);
    write_gz(tmp / "img.idx.gz", images);
    write_gz(tmp / "lab.gz", labels);

    for (const std::string& spec : {"idx:" + tmp / "img.idx" + "," + tmp / "lab.idx",
                                   "idx:" + tmp / "img.idx.gz" + "," + tmp / "lab.gz",
                                   "idx:" + tmp / "img.idx.gz" + "," + tmp / "lab.idx"}) {
        INFO(spec);
        auto ds = open_dataset(spec);
        REQUIRE(ds->size() == 3);
        CHECK(ds->labelled());
        CHECK(ds->name() == spec);
        Sample s = ds->get(1);
        CHECK(s.label == 0);
        CHECK(s.image.width == 3);
        CHECK(s.image.height == 2);
        CHECK(s.image.channels == 1);
        CHECK(s.image.pixels == std::vector<float>{60, 70, 80, 90, 100, 110});
        CHECK(contains(s.source, "[1]"));
        CHECK(ds->label(0) == 7);
        CHECK(ds->label(2) == 9);
        CHECK(contains(error_of([&] { ds->get(3); }), "sample index out of range"));
    }
    auto unl = open_dataset("idx:" + tmp / "img.idx");
    CHECK_FALSE(unl->labelled());
    CHECK(unl->get(2).label == -1);
    CHECK(unl->get(2).image.pixels[5] == 170.f);

    // Colour IDX [N,H,W,3].
    write_bytes(tmp / "rgb.idx", idx_bytes(0x08, {1, 1, 2, 3}, {1, 2, 3, 4, 5, 6}));
    Sample c = open_dataset("idx:" + tmp / "rgb.idx")->get(0);
    CHECK(c.image.channels == 3);
    CHECK(c.image.pixels == std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("dataset: bad IDX files and mismatched labels are clear errors") {
    TempDir tmp("idxbad");
    std::vector<uint8_t> px(18, 1);
    write_bytes(tmp / "img.idx", idx_bytes(0x08, {3, 2, 3}, px));

    // Wrong magic number (a PNG, or a stray byte in the magic).
    auto wrong = idx_bytes(0x08, {3, 2, 3}, px);
    wrong[0] = 0x12;
    write_bytes(tmp / "wrong.idx", wrong);
    std::string e = error_of([&] { open_dataset("idx:" + tmp / "wrong.idx"); });
    CHECK(contains(e, "not an IDX file"));
    CHECK(contains(e, "wrong magic number 0x12000803"));
    CHECK(contains(e, "wrong.idx"));
    write_bytes(tmp / "type.idx", idx_bytes(0x07, {3, 2, 3}, px));
    CHECK(contains(error_of([&] { open_dataset("idx:" + tmp / "type.idx"); }), "wrong magic number"));

    // Short reads: header cut, data cut (raw and gzip).
    write_bytes(tmp / "head.idx", {0, 0, 8, 3, 0, 0});
    e = error_of([&] { open_dataset("idx:" + tmp / "head.idx"); });
    CHECK(contains(e, "short read in IDX file"));
    CHECK(contains(e, "head.idx"));
    auto cut = idx_bytes(0x08, {3, 2, 3}, px);
    cut.resize(cut.size() - 1);
    write_bytes(tmp / "cut.idx", cut);
    e = error_of([&] { open_dataset("idx:" + tmp / "cut.idx"); });
    CHECK(contains(e, "short read in IDX file"));
    CHECK(contains(e, "3 items of 6 bytes (18 bytes of data), the file holds 17"));
    // Dimensions whose product wraps past 2^64 (it once passed this check as a small number and
    // ended in std::bad_alloc).
    write_bytes(tmp / "huge.idx", idx_bytes(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
    e = error_of([&] { open_dataset("idx:" + tmp / "huge.idx"); });
    CHECK(contains(e, "the header's dimensions 4294967295x4294967295x4294967295 need more than 2^64 bytes of data, the file holds 0"));
    write_bytes(tmp / "wrap.idx", idx_bytes(0x0C, {1u << 16, 1u << 16, 1u << 16, 1u << 16}, {}));
    CHECK(contains(error_of([&] { open_dataset("idx:" + tmp / "img.idx," + tmp / "wrap.idx"); }), "need more than 2^64 bytes"));
    write_gz(tmp / "cut.idx.gz", cut);
    CHECK(contains(error_of([&] { open_dataset("idx:" + tmp / "cut.idx.gz"); }), "the file holds 17 (decompressed)"));

    // A truncated gzip stream.
    std::vector<uint8_t> big(4000);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    write_gz(tmp / "whole.gz", idx_bytes(0x08, {1000, 2, 2}, big));
    auto gz = read_all(tmp / "whole.gz");
    gz.resize(gz.size() / 2);
    write_bytes(tmp / "half.gz", gz);
    e = error_of([&] { open_dataset("idx:" + tmp / "half.gz"); });
    CHECK(contains(e, "half.gz"));
    CHECK((contains(e, "truncated gzip") || contains(e, "short read")));

    // Labels that do not match the images.
    write_bytes(tmp / "lab2.idx", idx_bytes(0x08, {2}, {1, 2}));
    e = error_of([&] { open_dataset("idx:" + tmp / "img.idx," + tmp / "lab2.idx"); });
    CHECK(contains(e, "labels do not match the images"));
    CHECK(contains(e, "2 labels for 3 images"));
    CHECK(contains(e, "lab2.idx"));
    // Images given as labels.
    e = error_of([&] { open_dataset("idx:" + tmp / "img.idx," + tmp / "img.idx"); });
    CHECK(contains(e, "unsupported IDX label file"));
}

TEST_CASE("dataset: CIFAR-10 and CIFAR-100 binary batches") {
    TempDir tmp("cifar");
    auto record = [](std::vector<uint8_t> labels, uint8_t base) {
        std::vector<uint8_t> r = labels;
        for (size_t c = 0; c < 3; ++c)
            for (size_t p = 0; p < 1024; ++p) r.push_back(static_cast<uint8_t>(base + c * 50 + p % 7));
        return r;
    };
    std::vector<uint8_t> f1 = record({3}, 0), f2 = record({9}, 1);
    const auto r2 = record({0}, 2);
    f2.insert(f2.end(), r2.begin(), r2.end());
    write_bytes(tmp / "data_batch_1.bin", f1);
    write_bytes(tmp / "data_batch_2.bin", f2);
    auto ds = open_dataset("cifar:" + tmp / "data_batch_1.bin," + tmp / "data_batch_2.bin");
    REQUIRE(ds->size() == 3);
    CHECK(ds->label(0) == 3);
    CHECK(ds->label(1) == 9);
    CHECK(ds->label(2) == 0);
    Sample s = ds->get(2);
    CHECK(s.label == 0);
    CHECK(s.image.width == 32);
    CHECK(s.image.height == 32);
    CHECK(s.image.channels == 3);
    CHECK(s.image.at(0, 1, 0) == 3.f);   // R plane, pixel 1: base 2 + 1
    CHECK(s.image.at(0, 1, 1) == 53.f);  // G
    CHECK(s.image.at(0, 1, 2) == 103.f); // B
    CHECK(contains(s.source, "data_batch_2.bin[1]"));

    write_bytes(tmp / "train.bin", record({19, 99}, 5));
    auto c100 = open_dataset("cifar:" + tmp / "train.bin");
    CHECK(c100->label(0) == 99);
    CHECK(c100->get(0).image.at(0, 0, 0) == 5.f);

    auto bad = f1;
    bad.pop_back();
    write_bytes(tmp / "cut.bin", bad);
    std::string e = error_of([&] { open_dataset("cifar:" + tmp / "cut.bin"); });
    CHECK(contains(e, "not a CIFAR binary batch"));
    CHECK(contains(e, "cut.bin"));
    write_bytes(tmp / "badlabel.bin", record({200}, 0));
    e = error_of([&] { open_dataset("cifar10:" + tmp / "badlabel.bin")->get(0); });
    CHECK(contains(e, "corrupt CIFAR record"));
    CHECK(contains(e, "badlabel.bin[0]"));
}

TEST_CASE("dataset: folder, list and images") {
    TempDir tmp("files");
    write_png(tmp / "set/dog/b.png", 2, 1, 1, {1, 2});
    write_png(tmp / "set/dog/a.png", 2, 1, 1, {3, 4});
    write_png(tmp / "set/cat/z.png", 2, 1, 1, {5, 6});
    write_png(tmp / "set/cat/sub/y.png", 2, 1, 1, {7, 8});
    write_bytes(tmp / "set/cat/notes.txt", {'x'});
    fs::create_directories(tmp / "set/.hidden");
    fs::create_directories(tmp / "set/emu");  // a class without images keeps its index

    auto ds = open_dataset("folder:" + tmp / "set");
    CHECK(ds->class_names() == std::vector<std::string>{"cat", "dog", "emu"});
    REQUIRE(ds->size() == 4);
    CHECK(ds->get(0).source == tmp / "set/cat/sub/y.png");
    CHECK(ds->get(1).source == tmp / "set/cat/z.png");
    CHECK(ds->get(2).source == tmp / "set/dog/a.png");
    CHECK(ds->label(0) == 0);
    CHECK(ds->label(1) == 0);
    CHECK(ds->label(2) == 1);
    CHECK(ds->get(3).image.pixels == std::vector<float>{1, 2});

    {
        std::ofstream l(tmp / "set/list.txt");
        l << "# path label\n"
             "dog/a.png 4\n"
             "\n"
             "  cat/z.png\t2  \n"
          << tmp / "set/dog/b.png" << " 0\n";
    }
    auto li = open_dataset("list:" + tmp / "set/list.txt");
    REQUIRE(li->size() == 3);
    CHECK(li->labelled());
    CHECK(li->label(0) == 4);
    CHECK(li->label(1) == 2);
    CHECK(li->get(1).image.pixels == std::vector<float>{5, 6});
    CHECK(li->get(2).image.pixels == std::vector<float>{1, 2});

    write_png(tmp / "imgs/b.png", 1, 1, 1, {2});
    write_png(tmp / "imgs/a.png", 1, 1, 1, {1});
    write_png(tmp / "imgs/c.PNG", 1, 1, 1, {3});
    auto im = open_dataset("images:" + tmp / "imgs");
    REQUIRE(im->size() == 3);
    CHECK_FALSE(im->labelled());
    CHECK(im->get(0).image.pixels[0] == 1.f);
    CHECK(im->get(1).image.pixels[0] == 2.f);
    CHECK(im->get(2).image.pixels[0] == 3.f);
    CHECK(im->get(2).label == -1);

    // A corrupt image in a folder: the error names it when the sample is read.
    write_bytes(tmp / "imgs/d.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
    auto im2 = open_dataset("images:" + tmp / "imgs");
    CHECK(contains(error_of([&] { im2->get(3); }), "d.png"));
}

TEST_CASE("dataset: specs that name nothing are clear errors") {
    TempDir tmp("specs");
    fs::create_directories(tmp / "empty");
    fs::create_directories(tmp / "noimages/cls");
    write_bytes(tmp / "noimages/cls/readme.txt", {'x'});
    write_bytes(tmp / "empty.txt", {'#', '\n'});
    write_png(tmp / "one/a.png", 1, 1, 1, {1});
    {
        std::ofstream l(tmp / "missing.txt");
        l << "a.png 1\nnothere.png 2\n";
    }
    {
        std::ofstream l(tmp / "nolabel.txt");
        l << "a.png\n";
    }
    write_png(tmp / "a.png", 1, 1, 1, {1});

    struct Case {
        std::string spec, part;
    };
    const std::vector<Case> cases = {
        {"jpeg:" + tmp / "one", "unknown data-set scheme 'jpeg'"},
        {"/some/folder", "data-set spec names nothing"},
        {"", "data-set spec names nothing"},
        {"folder:", "data-set spec names nothing"},
        {"idx:", "data-set spec names nothing"},
        {"folder:" + tmp / "empty", "no class subfolders"},
        {"folder:" + tmp / "nowhere", "data-set folder not found"},
        {"folder:" + tmp / "noimages", "no image files"},
        {"images:" + tmp / "empty", "no image files"},
        {"list:" + tmp / "empty.txt", "lists no images"},
        {"list:" + tmp / "nolist.txt", "data-set file not found"},
        {"list:" + tmp / "missing.txt", "missing.txt:2"},
        {"list:" + tmp / "nolabel.txt", "expected 'path label'"},
        {"idx:" + tmp / "nothing.idx", "data-set file not found"},
        {"cifar:" + tmp / "nothing.bin", "data-set file not found"},
        {"fashion-mnist:validation", "fashion-mnist takes :test or :train"},
        {"images:" + tmp / "one@first=0", "@first=N needs a positive integer"},
        {"images:" + tmp / "one@sample=3", "@sample=N:SEED needs"},
        {"images:" + tmp / "one@last=3", "unknown data-set modifier '@last=3'"},
    };
    for (const auto& c : cases) {
        INFO(c.spec);
        const std::string e = error_of([&] { open_dataset(c.spec); });
        CHECK(contains(e, c.part));
    }
}

TEST_CASE("dataset: @first and @sample are deterministic") {
    // The generator itself: the standard's check value for mt19937_64.
    std::mt19937_64 ref;
    ref.discard(9999);
    CHECK(ref() == 9981545732273789042ull);
    CHECK(std::mt19937_64(42)() == 13930160852258120406ull);
    // Indices checked against an independent Python mt19937_64 + the documented Fisher-Yates.
    CHECK(sample_indices(10, 4, 42) == std::vector<size_t>{0, 4, 6, 7});
    CHECK(sample_indices(10000, 8, 7) == std::vector<size_t>{1015, 1822, 2428, 3125, 4853, 6569, 8213, 9406});
    CHECK(sample_indices(5, 5, 1) == std::vector<size_t>{0, 1, 2, 3, 4});
    CHECK(sample_indices(5, 50, 1) == std::vector<size_t>{0, 1, 2, 3, 4});

    TempDir tmp("mods");
    std::vector<uint8_t> px(10);
    std::vector<uint8_t> lab(10);
    for (uint8_t i = 0; i < 10; ++i) px[i] = lab[i] = i;
    write_bytes(tmp / "i@x.idx", idx_bytes(0x08, {10, 1, 1}, px));  // '@' in a path is fine
    write_bytes(tmp / "l.idx", idx_bytes(0x08, {10}, lab));
    const std::string base = "idx:" + tmp / "i@x.idx" + "," + tmp / "l.idx";

    auto first = open_dataset(base + "@first=3");
    CHECK(first->size() == 3);
    CHECK(first->label(2) == 2);
    CHECK(first->name() == base + "@first=3");
    CHECK(open_dataset(base + "@first=100")->size() == 10);

    auto s1 = open_dataset(base + "@sample=4:42");
    auto s2 = open_dataset(base + "@sample=4:42");
    REQUIRE(s1->size() == 4);
    for (size_t i = 0; i < 4; ++i) CHECK(s1->label(i) == s2->label(i));
    CHECK(batch_labels(*s1, 0, 4) == std::vector<int>{0, 4, 6, 7});
    CHECK(s1->get(2).image.pixels[0] == 6.f);
    // Modifiers compose left to right.
    auto fs_ = open_dataset(base + "@sample=4:42@first=2");
    CHECK(batch_labels(*fs_, 0, 2) == std::vector<int>{0, 4});
    auto sf = open_dataset(base + "@first=5@sample=2:3");
    CHECK(batch_labels(*sf, 0, 2) == std::vector<int>{2, 4});  // sample_indices(5, 2, 3)
    CHECK(batch_labels(*open_dataset(base + "@sample=2:3"), 0, 2) == std::vector<int>{7, 8});
}

TEST_CASE("dataset: make_batch preprocesses, fits and names the failing sample") {
    TempDir tmp("batch");
    write_png(tmp / "imgs/a.png", 2, 2, 1, {0, 51, 102, 255});
    write_png(tmp / "imgs/b.png", 2, 2, 3, {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255});
    write_png(tmp / "imgs/c.png", 3, 3, 1, std::vector<uint8_t>(9, 10));
    auto ds = open_dataset("images:" + tmp / "imgs");
    REQUIRE(ds->size() == 3);

    Tensor b = make_batch(*ds, 0, 1, Recipe("unit"), Shape{1, 2, 2});
    CHECK(b.shape() == Shape{1, 1, 2, 2});
    check_values(b, {0, 0.2f, 0.4f, 1}, 1e-7f);
    Tensor flat = make_batch(*ds, 0, 1, Recipe("unit"), Shape{4});
    CHECK(flat.shape() == Shape{1, 4});

    Tensor rgb = make_batch(*ds, 0, 2, Recipe("rgb"), Shape{3, 2, 2});
    CHECK(rgb.shape() == Shape{2, 3, 2, 2});
    check_values(rgb, {0, 51, 102, 255, 0, 51, 102, 255, 0, 51, 102, 255,  // a.png replicated
                       255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255},     // b.png planes
                 0);

    // c.png is 3x3: without a resize it does not fit, and the error names it.
    std::string e = error_of([&] { make_batch(*ds, 0, 3, Recipe("gray"), Shape{1, 2, 2}); });
    CHECK(contains(e, "image size does not fit the model"));
    CHECK(contains(e, "c.png"));
    CHECK(contains(e, "resize=2x2"));
    Tensor ok = make_batch(*ds, 0, 3, Recipe("gray;resize=2x2"), Shape{1, 2, 2});
    CHECK(ok.shape() == Shape{3, 1, 2, 2});
    check_values(make_batch(*ds, 2, 1, Recipe("resize=2"), Shape{1, 2, 2}), {10, 10, 10, 10}, 1e-5f);

    CHECK(contains(error_of([&] { make_batch(*ds, 2, 2, Recipe("raw"), Shape{1, 2, 2}); }), "batch out of range"));
    CHECK(make_batch(*ds, 3, 0, Recipe("raw"), Shape{1, 2, 2}).shape() == Shape{0, 1, 2, 2});
}

TEST_CASE("dataset: Debian's Fashion-MNIST test set") {
    MUTINY_DATA_OR_SKIP(mutiny_test::fashion_mnist_dir() / "t10k-images-idx3-ubyte.gz",
                        "apt-get install dataset-fashion-mnist, or MUTINY_FASHION_MNIST_DIR");
    auto ds = open_dataset("fashion-mnist");
    REQUIRE(ds->size() == 10000);
    CHECK(ds->labelled());
    CHECK(batch_labels(*ds, 0, 20) ==
          std::vector<int>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5, 7, 3, 4, 1, 2, 4, 8, 0});
    Sample s = ds->get(0);
    CHECK(s.image.width == 28);
    CHECK(s.image.height == 28);
    CHECK(s.image.channels == 1);
    CHECK(s.image.at(14, 14) == 110.f);
    double sum = 0;
    for (float v : s.image.pixels) sum += v;
    CHECK(sum == 33456.0);
    double last = 0;
    for (float v : ds->get(9999).image.pixels) last += v;
    CHECK(last == 24390.0);
    CHECK(open_dataset("fashion-mnist:test")->size() == 10000);

    auto sample = open_dataset("fashion-mnist:test@sample=8:7");
    CHECK(batch_labels(*sample, 0, 8) == std::vector<int>{8, 7, 4, 6, 0, 9, 7, 3});  // indices 1015 ... 9406

    Tensor batch = make_batch(*ds, 0, 4, Recipe("unit"), Shape{1, 28, 28});
    CHECK(batch.shape() == Shape{4, 1, 28, 28});
    CHECK(batch.data<float>()[14 * 28 + 14] == 110.f / 255.f);
}
