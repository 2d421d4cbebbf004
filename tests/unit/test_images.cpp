// Images (mutiny/io/image.hpp): PNG (8 and 16 bit), BMP and PGM with exact pixels, loading from
// memory, clear errors for missing, corrupt and truncated files, and the shared data's images.
// Fixtures are written at test time into a temp folder (io_fixtures.hpp).
#include <doctest/doctest.h>

#include "io_fixtures.hpp"
#include "support/support.hpp"

namespace fs = std::filesystem;
using namespace mutiny;
using namespace io_fixtures;
using mutiny_test::contains;
using mutiny_test::error_of;

TEST_CASE("image: PNG gray, RGB, RGBA and gray+alpha, BMP and PGM load with exact pixels") {
    TempDir tmp("img");
    const std::vector<uint8_t> rgb{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};  // 3x2
    write_png(tmp / "rgb.png", 3, 2, 3, rgb);
    Image a = load_image(tmp / "rgb.png");
    CHECK(a.width == 3);
    CHECK(a.height == 2);
    CHECK(a.channels == 3);
    CHECK(a.source == tmp / "rgb.png");
    REQUIRE(a.pixels.size() == rgb.size());
    for (size_t i = 0; i < rgb.size(); ++i) CHECK(a.pixels[i] == static_cast<float>(rgb[i]));
    CHECK(a.at(1, 2, 2) == 90.f);

    const std::vector<uint8_t> gray{0, 1, 2, 254, 255, 128};
    write_png(tmp / "gray.png", 2, 3, 1, gray);
    Image g = load_image(tmp / "gray.png");
    CHECK(g.width == 2);
    CHECK(g.height == 3);
    CHECK(g.channels == 1);
    for (size_t i = 0; i < gray.size(); ++i) CHECK(g.pixels[i] == static_cast<float>(gray[i]));

    // RGBA: alpha dropped (not composited).
    const std::vector<uint8_t> rgba{1, 2, 3, 0, 4, 5, 6, 128};
    write_png(tmp / "rgba.png", 2, 1, 4, rgba);
    Image r = load_image(tmp / "rgba.png");
    CHECK(r.channels == 3);
    CHECK(r.pixels == std::vector<float>{1, 2, 3, 4, 5, 6});

    const std::vector<uint8_t> ga{7, 0, 9, 255};
    write_png(tmp / "ga.png", 2, 1, 2, ga);
    Image gg = load_image(tmp / "ga.png");
    CHECK(gg.channels == 1);
    CHECK(gg.pixels == std::vector<float>{7, 9});

    REQUIRE(stbi_write_bmp((tmp / "rgb.bmp").c_str(), 3, 2, 3, rgb.data()) != 0);
    Image b = load_image(tmp / "rgb.bmp");
    CHECK(b.width == 3);
    CHECK(b.height == 2);
    CHECK(b.channels == 3);
    for (size_t i = 0; i < rgb.size(); ++i) CHECK(b.pixels[i] == static_cast<float>(rgb[i]));

    std::vector<uint8_t> pgm{'P', '5', '\n', '2', ' ', '2', '\n', '2', '5', '5', '\n', 9, 8, 7, 6};
    write_bytes(tmp / "g.pgm", pgm);
    CHECK(load_image(tmp / "g.pgm").pixels == std::vector<float>{9, 8, 7, 6});
}

TEST_CASE("image: 16-bit PNG is scaled by 255/65535") {
    TempDir tmp("img16");
    write_bytes(tmp / "g16.png", png16(3, 1, 1, {65535, 257, 32768}));
    Image g = load_image(tmp / "g16.png");
    CHECK(g.channels == 1);
    CHECK(g.width == 3);
    CHECK(g.pixels[0] == doctest::Approx(255.0).epsilon(1e-7));
    CHECK(g.pixels[1] == doctest::Approx(1.0).epsilon(1e-7));
    CHECK(g.pixels[2] == doctest::Approx(32768.0 * 255.0 / 65535.0).epsilon(1e-7));  // 127.5019...

    write_bytes(tmp / "rgb16.png", png16(1, 2, 3, {0, 65535, 514, 65535, 0, 1285}));
    Image c = load_image(tmp / "rgb16.png");
    CHECK(c.channels == 3);
    CHECK(c.height == 2);
    check_values(Tensor::from_vector(Shape{6}, c.pixels), {0, 255, 2, 255, 0, 5}, 1e-4f);
}

TEST_CASE("image: load from memory names the source") {
    TempDir tmp("mem");
    write_png(tmp / "x.png", 2, 2, 1, {1, 2, 3, 4});
    const auto bytes = read_all(tmp / "x.png");
    Image m = load_image_from_memory(bytes.data(), bytes.size(), "archive.tar:x.png");
    CHECK(m.source == "archive.tar:x.png");
    CHECK(m.pixels == std::vector<float>{1, 2, 3, 4});
    const std::string e = error_of([&] { load_image_from_memory(bytes.data(), 20, "archive.tar:x.png"); });
    CHECK(contains(e, "archive.tar:x.png"));
}

TEST_CASE("image: missing, empty, corrupt and truncated files throw an Error naming the file and why") {
    TempDir tmp("bad");
    std::string e = error_of([&] { load_image(tmp / "nope.png"); });
    CHECK(contains(e, "nope.png"));
    CHECK(contains(e, "No such file"));

    write_bytes(tmp / "empty.png", {});
    e = error_of([&] { load_image(tmp / "empty.png"); });
    CHECK(contains(e, "empty.png"));
    CHECK(contains(e, "empty"));

    write_bytes(tmp / "junk.png", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
    e = error_of([&] { load_image(tmp / "junk.png"); });
    CHECK(contains(e, "junk.png"));
    CHECK(contains(e, "not a PNG, JPEG, BMP"));

    std::vector<uint8_t> px(16 * 16 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 7);
    write_png(tmp / "full.png", 16, 16, 3, px);
    auto png = read_all(tmp / "full.png");
    png.resize(png.size() / 2);
    write_bytes(tmp / "cut.png", png);
    e = error_of([&] { load_image(tmp / "cut.png"); });
    CHECK(contains(e, "cut.png"));
    CHECK(contains(e, "corrupt or truncated PNG"));
    CHECK(contains(e, "("));  // stb's reason in parentheses

    REQUIRE(stbi_write_bmp((tmp / "full.bmp").c_str(), 16, 16, 3, px.data()) != 0);
    auto bmp = read_all(tmp / "full.bmp");
    bmp.resize(bmp.size() - 40);
    write_bytes(tmp / "cut.bmp", bmp);
    e = error_of([&] { load_image(tmp / "cut.bmp"); });
    CHECK(contains(e, "cut.bmp"));
    CHECK(contains(e, "truncated"));

    // A real JPEG to cut; without it the rest of the test still runs, and the test reports the skip.
    const std::string jpg = (mutiny_test::shared_data() / "images/imagenet_wonnx/pelican.jpeg").string();
    if (mutiny_test::have(jpg)) {
        auto j = read_all(jpg);
        j.resize(j.size() * 2 / 3);
        write_bytes(tmp / "cut.jpeg", j);
        e = error_of([&] { load_image(tmp / "cut.jpeg"); });
        CHECK(contains(e, "cut.jpeg"));
        CHECK(contains(e, "corrupt or truncated JPEG"));
    }

    // A baseline JPEG cut short: stb decodes it, filling the missing part with zeros, so the cut is
    // found by the missing end-of-image marker (it was once classified as if whole).
    std::vector<uint8_t> photo(64 * 48 * 3);
    for (size_t i = 0; i < photo.size(); ++i) photo[i] = static_cast<uint8_t>((i * 2654435761u) >> 11);
    REQUIRE(stbi_write_jpg((tmp / "whole.jpg").c_str(), 64, 48, 3, photo.data(), 90) != 0);
    auto whole = read_all(tmp / "whole.jpg");
    CHECK(load_image(tmp / "whole.jpg").width == 64);
    for (size_t keep : {whole.size() - 2, whole.size() * 3 / 4, size_t{200}}) {
        std::vector<uint8_t> part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep));
        write_bytes(tmp / "part.jpg", part);
        e = error_of([&] { load_image(tmp / "part.jpg"); });
        CAPTURE(keep);
        CHECK(contains(e, "part.jpg"));
        CHECK(contains(e, "corrupt or truncated JPEG"));
    }
    // Dimensions stb will not decode are named as such (once "(unknown image type)").
    auto huge = read_all(tmp / "full.png");
    for (size_t at : {size_t{16}, size_t{20}}) {  // IHDR width and height: 100000 (stb skips the CRC)
        huge[at] = 0; huge[at + 1] = 0x01; huge[at + 2] = 0x86; huge[at + 3] = 0xA0;
    }
    write_bytes(tmp / "huge.png", huge);
    e = error_of([&] { load_image(tmp / "huge.png"); });
    CHECK(contains(e, "PNG of 100000x100000 pixels: the dimensions are too large to decode"));

    fs::create_directories(tmp / "dir.png");
    e = error_of([&] { load_image(tmp / "dir.png"); });
    CHECK(contains(e, "directory"));
}

TEST_CASE("image: a PNM header whose width or height is not a number is refused, not decoded as 0x0 (fuzz_image)") {
    // stb reads the width '[' as 0 and returned an empty image that passed as decoded.
    const std::vector<uint8_t> pgm = {'P', '5', '\n', '[', ' ', '2', '\n', '2', '5', '5', '\n', 0, 0x40, 0x80, 0xff};
    const std::string e = error_of([&] { load_image_from_memory(pgm.data(), pgm.size(), "bad.pgm"); });
    CHECK(e == "cannot decode image at bad.pgm: corrupt PNM (its header gives a size of 0x0 pixels)");
    const std::vector<uint8_t> ppm = {'P', '6', ' ', '1', ' ', 'x', ' ', '2', '5', '5', '\n', 1, 2, 3};
    CHECK(error_of([&] { load_image_from_memory(ppm.data(), ppm.size(), "bad.ppm"); }) ==
          "cannot decode image at bad.ppm: corrupt PNM (its header gives a size of 1x0 pixels)");
}

TEST_CASE("image: a PNM declaring more pixels than it holds is refused before decoding (fuzz_image)") {
    // 16 bytes declaring 222x2545222: stb allocated the declared size and the image 2.26 GB of floats.
    const std::string pgm = "P5\n\n222 2545222@";
    CHECK(error_of([&] { load_image_from_memory(pgm.data(), pgm.size(), "big.pgm"); }) ==
          "truncated image at big.pgm: PNM of 222x2545222 pixels needs 565039284 bytes of pixel data, the file has 0");
    // 2x2 RGB with 16-bit samples needs 24 bytes; a comment in the header is skipped.
    std::string ppm = "P6 # made by hand\n2 2\n65535\n" + std::string(23, '\x7f');
    CHECK(error_of([&] { load_image_from_memory(ppm.data(), ppm.size(), "cut.ppm"); }) ==
          "truncated image at cut.ppm: PNM of 2x2 pixels needs 24 bytes of pixel data, the file has 23");
    ppm += '\x7f';
    const Image im = load_image_from_memory(ppm.data(), ppm.size(), "whole.ppm");
    CHECK(im.width == 2);
    CHECK(im.channels == 3);
    CHECK(im.pixels[0] == doctest::Approx(0x7f7f * 255.0 / 65535.0));
}

TEST_CASE("image: a JPEG whose scan uses a Huffman or quantisation table it never defined is refused (fuzz_image)") {
    // stb reads such a table's uninitialised memory: a crash in fuzz_image, or pixels that change
    // from run to run. The table ids of a valid JPEG are renamed so the frame's are missing.
    TempDir tmp("jpeg-tables");
    std::vector<uint8_t> px(16 * 16 * 3);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 13);
    REQUIRE(stbi_write_jpg((tmp / "ok.jpg").c_str(), 16, 16, 3, px.data(), 90) != 0);
    const auto ok = read_all(tmp / "ok.jpg");
    CHECK(load_image_from_memory(ok.data(), ok.size(), "ok.jpg").width == 16);
    // Each table of the first segment with marker `m` whose class/id byte is `from` becomes `to`.
    auto renamed = [&](uint8_t m, uint8_t from, uint8_t to) {
        std::vector<uint8_t> b = ok;
        for (size_t i = 2; i + 4 < b.size(); ++i) {
            if (b[i] != 0xFF || b[i + 1] != m) continue;
            const size_t end = i + 2 + (size_t(b[i + 2]) << 8 | b[i + 3]);
            for (size_t t = i + 4; t < end;) {
                const uint8_t id = b[t];
                if (id == from) b[t] = to;
                if (m == 0xC4) {
                    size_t symbols = 0;
                    for (size_t k = 1; k <= 16; ++k) symbols += b[t + k];
                    t += 17 + symbols;
                } else {
                    t += 1 + ((id >> 4) ? 128 : 64);
                }
            }
            break;
        }
        return b;
    };
    const auto no_ac0 = renamed(0xC4, 0x10, 0x12);
    CHECK(error_of([&] { load_image_from_memory(no_ac0.data(), no_ac0.size(), "a.jpg"); }) ==
          "cannot decode image at a.jpg: corrupt JPEG (a scan uses AC Huffman table 0, which is not defined before it)");
    // stb skips bytes that are not a marker between segments: so must the check (fuzz_image).
    auto junk = no_ac0;
    for (size_t i = 2; i + 1 < junk.size(); ++i)
        if (junk[i] == 0xFF && junk[i + 1] == 0xC4) {
            junk.insert(junk.begin() + static_cast<std::ptrdiff_t>(i), {0x63, 0x63, 0x63});
            break;
        }
    CHECK(error_of([&] { load_image_from_memory(junk.data(), junk.size(), "j.jpg"); }) ==
          "cannot decode image at j.jpg: corrupt JPEG (a scan uses AC Huffman table 0, which is not defined before it)");
    const auto no_dc0 = renamed(0xC4, 0x00, 0x03);
    CHECK(error_of([&] { load_image_from_memory(no_dc0.data(), no_dc0.size(), "d.jpg"); }) ==
          "cannot decode image at d.jpg: corrupt JPEG (a scan uses DC Huffman table 0, which is not defined before it)");
    const auto no_q0 = renamed(0xDB, 0x00, 0x02);
    CHECK(error_of([&] { load_image_from_memory(no_q0.data(), no_q0.size(), "q.jpg"); }) ==
          "cannot decode image at q.jpg: corrupt JPEG (the frame uses quantisation table 0, which is not defined before its first scan)");
}

TEST_CASE("image: the decoded image must fit the memory limit (max_tensor_bytes, --max-memory)") {
    const std::string pgm = "P5 64 64 255\n" + std::string(64 * 64, '\x10');
    const size_t saved = max_tensor_bytes();
    max_tensor_bytes() = 64 * 64 * 4 - 1;
    const std::string e = error_of([&] { load_image_from_memory(pgm.data(), pgm.size(), "a.pgm"); });
    max_tensor_bytes() = saved;
    CHECK(e == "decoded image too large at a.pgm: 4096 elements of 4 bytes exceed the memory limit of 16383 bytes "
               "(raise it with --max-memory or mutiny::max_tensor_bytes())");
    CHECK(load_image_from_memory(pgm.data(), pgm.size(), "a.pgm").pixels.size() == 4096);
}

TEST_CASE("image: shared data images load with the right sizes and channels") {
    const std::string root = (mutiny_test::shared_data() / "images").string();
    MUTINY_DATA_OR_SKIP(root);
    Image m = load_image(root + "/mnist_glow/0_1009.png");
    CHECK(m.width == 28);
    CHECK(m.height == 28);
    CHECK(m.channels == 1);
    double sum = 0;
    for (float v : m.pixels) sum += v;
    CHECK(sum == 25322.0);  // decoded independently with python3 zlib

    for (const char* f : {"0.jpg", "3.jpg", "5.jpg", "7.jpg"}) {
        Image j = load_image(root + "/mnist_wonnx/" + f);
        CHECK(j.width == 28);
        CHECK(j.height == 28);
        CHECK(j.channels == 1);
    }
    Image cat = load_image(root + "/imagenet_glow/cat_285.png");  // RGBA on disk
    CHECK(cat.width == 224);
    CHECK(cat.height == 224);
    CHECK(cat.channels == 3);
    CHECK(cat.at(0, 0, 0) == 255.f);
    CHECK(cat.at(100, 120, 0) == 209.f);
    CHECK(cat.at(100, 120, 1) == 179.f);
    CHECK(cat.at(100, 120, 2) == 148.f);

    Image pel = load_image(root + "/imagenet_wonnx/pelican.jpeg");
    CHECK(pel.width == 500);
    CHECK(pel.height == 375);
    CHECK(pel.channels == 3);
    Image eagle = load_image(root + "/imagenet_wonnx/bald_eagle.jpeg");
    CHECK(eagle.width == 800);
    CHECK(eagle.height == 600);

    // A 224x224 recipe on the JPEG, and an MNIST PNG fitted to an MLP input.
    Tensor t = Recipe("torch-imagenet").apply(pel);
    CHECK(t.shape() == Shape{3, 224, 224});
    Tensor mlp = fit_to_input(Recipe("unit").apply(m), Shape{784}, m.source);
    CHECK(mlp.shape() == Shape{784});

    auto ds = open_dataset("images:" + root + "/mnist_glow");
    CHECK(ds->size() == 10);
    CHECK(ds->get(0).source == root + "/mnist_glow/0_1009.png");
    CHECK(ds->get(9).source == root + "/mnist_glow/9_1088.png");
}
