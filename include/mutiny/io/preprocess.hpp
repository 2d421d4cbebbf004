// Preprocessing recipes (docs/formats.md): how an Image becomes a model's input tensor.
//
// A recipe is a preset name or steps separated by ';', applied in order to the image (HWC floats,
// 0..255 as loaded):
//
//   gray | rgb | bgr     channel conversion. gray = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as
//                        OpenCV and PIL); rgb/bgr replicate a gray image to 3 channels and put the
//                        channels in that order (images load as RGB).
//   resize=W[xH]         bilinear to exactly W x H (H = W when omitted). Bilinear is PyTorch's
//                        F.interpolate(mode='bilinear', align_corners=False) and OpenCV's INTER_LINEAR:
//                        half-pixel centres, src = (dst + 0.5) * in/out - 0.5 clamped at 0, no
//                        antialiasing.
//   resize-short=S       bilinear so that the shorter side is S and the longer side
//                        floor(S * long / short) (torchvision's Resize(S)).
//   crop=WxH             centre crop; the offset is (in - out) / 2 rounded half to even, as
//                        torchvision's center_crop (Python round). A crop larger than the image is an error.
//   scale=F              multiply by F; F may be written as a fraction N/D (1/255), applied as x / D
//                        when N is 1 (so 1/255 gives exactly torchvision's ToTensor values).
//   mean=a[,b,c]         subtract (one value for every channel, or one per channel in current order).
//   std=a[,b,c]          divide (same rule).
//   layout=nchw|nhwc     layout of the result (default nchw); only the last one given counts.
//
// Presets (they may also appear among steps, where they expand in place):
//   raw            nothing (0..255)
//   unit           scale=1/255
//   torch-imagenet resize-short=256;crop=224x224;scale=1/255;mean=0.485,0.456,0.406;std=0.229,0.224,0.225
//   inception      scale=1/127.5;mean=1           ([-1,1])
//   caffe          bgr;mean=103.939,116.779,123.68
//
// Recipe::to_string() is canonical: presets expanded, one spelling per step (resize=WxH,
// numbers in their shortest round-trip form, fractions kept as N/D), ';' without spaces,
// layout=nhwc last and only when set, "raw" for no steps. parse(to_string()) gives an equal recipe
// and the same string again, so a recipe can be stored in a model file's metadata.
//
// Arithmetic is float32, one pixel at a time in a fixed order, so results do not depend on threads.
#ifndef MUTINY_IO_PREPROCESS_HPP_
#define MUTINY_IO_PREPROCESS_HPP_

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <locale>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/shape.hpp"
#include "../core/tensor.hpp"
#include "image.hpp"

namespace mutiny {

struct PreprocessStep {
    enum class Kind { gray, rgb, bgr, resize, resize_short, crop, scale, mean, stddev };
    Kind kind = Kind::gray;
    int width = 0, height = 0;     // resize, crop; resize_short keeps S in width
    double num = 1, den = 1;       // scale = num / den
    std::vector<double> values;    // mean, std: 1 or 3 values

    bool operator==(const PreprocessStep& o) const {
        return kind == o.kind && width == o.width && height == o.height && num == o.num && den == o.den &&
               values == o.values;
    }
    bool operator!=(const PreprocessStep& o) const { return !(*this == o); }
};

namespace io_detail {

constexpr const char* kRecipeAllowed =
    "allowed steps: gray | rgb | bgr | resize=W[xH] | resize-short=S | crop=WxH | scale=F (or N/D) | "
    "mean=a[,b,c] | std=a[,b,c] | layout=nchw|nhwc; presets: raw, unit, torch-imagenet, inception, caffe";

inline std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

inline std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) break;
        start = p + 1;
    }
    return out;
}

// Locale-independent strict number parsing: the whole string must be one finite number.
inline bool parse_double(const std::string& text, double& out) {
    const std::string s = trim(text);
    if (s.empty()) return false;
    for (char ch : s)
        if (!(std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '+' || ch == 'e' ||
              ch == 'E'))
            return false;
    std::istringstream is(s);
    is.imbue(std::locale::classic());
    double v = 0;
    is >> v;
    if (is.fail() || is.peek() != std::char_traits<char>::eof() || !std::isfinite(v)) return false;
    out = v;
    return true;
}

inline bool parse_int(const std::string& text, int64_t max, int64_t& out) {
    const std::string s = trim(text);
    if (s.empty() || s.size() > 18) return false;
    int64_t v = 0;
    for (char ch : s) {
        if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
        v = v * 10 + (ch - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

// Shortest decimal that reads back as the same double ("0.485", "103.939", "1", "127.5").
inline std::string format_number(double v) {
    if (v == 0) return "0";
    for (int p = 1; p <= 17; ++p) {
        std::ostringstream os;
        os.imbue(std::locale::classic());
        os.precision(p);
        os << v;
        double back = 0;
        if (parse_double(os.str(), back) && back == v) return os.str();
    }
    std::ostringstream os;
    os.imbue(std::locale::classic());
    os.precision(17);
    os << v;
    return os.str();
}

inline void resize_bilinear_hwc(const std::vector<float>& in, int iw, int ih, int c, int ow, int oh,
                                std::vector<float>& out) {
    out.assign(static_cast<size_t>(ow) * static_cast<size_t>(oh) * static_cast<size_t>(c), 0.f);
    // PyTorch area_pixel_compute_source_index + guard_index_and_lambda, in float.
    auto axis = [](int in_size, int out_size, std::vector<int>& i0, std::vector<int>& i1,
                   std::vector<float>& l0, std::vector<float>& l1) {
        const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
        i0.resize(static_cast<size_t>(out_size));
        i1.resize(i0.size());
        l0.resize(i0.size());
        l1.resize(i0.size());
        for (int o = 0; o < out_size; ++o) {
            float src = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
            if (src < 0.f) src = 0.f;
            int a = static_cast<int>(std::floor(src));
            if (a > in_size - 1) a = in_size - 1;
            float lam = src - static_cast<float>(a);
            lam = std::min(std::max(lam, 0.f), 1.f);
            const size_t k = static_cast<size_t>(o);
            i0[k] = a;
            i1[k] = a < in_size - 1 ? a + 1 : a;
            l1[k] = lam;
            l0[k] = 1.f - lam;
        }
    };
    std::vector<int> y0, y1, x0, x1;
    std::vector<float> ly0, ly1, lx0, lx1;
    axis(ih, oh, y0, y1, ly0, ly1);
    axis(iw, ow, x0, x1, lx0, lx1);
    const size_t C = static_cast<size_t>(c), IW = static_cast<size_t>(iw);
    for (int oy = 0; oy < oh; ++oy) {
        const size_t yy = static_cast<size_t>(oy);
        const float* r0 = in.data() + static_cast<size_t>(y0[yy]) * IW * C;
        const float* r1 = in.data() + static_cast<size_t>(y1[yy]) * IW * C;
        float* dst = out.data() + yy * static_cast<size_t>(ow) * C;
        for (int ox = 0; ox < ow; ++ox) {
            const size_t xx = static_cast<size_t>(ox);
            const size_t a = static_cast<size_t>(x0[xx]) * C, b = static_cast<size_t>(x1[xx]) * C;
            for (size_t ch = 0; ch < C; ++ch) {
                const float top = lx0[xx] * r0[a + ch] + lx1[xx] * r0[b + ch];
                const float bot = lx0[xx] * r1[a + ch] + lx1[xx] * r1[b + ch];
                dst[xx * C + ch] = ly0[yy] * top + ly1[yy] * bot;
            }
        }
    }
}

// Python's round(d / 2) for a non-negative integer d: halves go to the even neighbour.
inline int center_offset(int d) {
    const int q = d / 2;
    if (d % 2 == 0) return q;
    return q % 2 == 0 ? q : q + 1;
}

}  // namespace io_detail

class Recipe {
public:
    Recipe() = default;  // raw
    explicit Recipe(const std::string& text) { *this = parse(text); }

    static Recipe parse(const std::string& text) {
        Recipe r;
        const std::string where = "preprocessing recipe '" + text + "'";
        for (const std::string& raw_item : io_detail::split(text, ';')) {
            const std::string item = io_detail::trim(raw_item);
            if (item.empty()) continue;
            const size_t eq = item.find('=');
            std::string key = io_detail::trim(item.substr(0, eq));
            for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            const std::string val = eq == std::string::npos ? std::string() : io_detail::trim(item.substr(eq + 1));
            auto bad = [&](const std::string& why) {
                return Error("bad preprocessing step '" + item + "'", where, why + "; " + io_detail::kRecipeAllowed);
            };
            if (eq == std::string::npos) {
                if (key == "raw") continue;
                if (key == "unit") { r.append(parse("scale=1/255")); continue; }
                if (key == "torch-imagenet") {
                    r.append(parse("resize-short=256;crop=224x224;scale=1/255;mean=0.485,0.456,0.406;"
                                   "std=0.229,0.224,0.225"));
                    continue;
                }
                if (key == "inception") { r.append(parse("scale=1/127.5;mean=1")); continue; }
                if (key == "caffe") { r.append(parse("bgr;mean=103.939,116.779,123.68")); continue; }
                PreprocessStep s;
                if (key == "gray" || key == "grey") s.kind = PreprocessStep::Kind::gray;
                else if (key == "rgb") s.kind = PreprocessStep::Kind::rgb;
                else if (key == "bgr") s.kind = PreprocessStep::Kind::bgr;
                else throw bad("unknown step or preset");
                r.steps_.push_back(s);
                continue;
            }
            PreprocessStep s;
            constexpr int64_t kMaxSide = 65536;
            if (key == "resize" || key == "crop") {
                s.kind = key == "resize" ? PreprocessStep::Kind::resize : PreprocessStep::Kind::crop;
                const auto parts = io_detail::split(val, 'x');
                int64_t w = 0, h = 0;
                if (parts.size() > 2 || !io_detail::parse_int(parts[0], kMaxSide, w) || w == 0 ||
                    (parts.size() == 2 && (!io_detail::parse_int(parts[1], kMaxSide, h) || h == 0)))
                    throw bad(key + " needs W or WxH with positive integer sides up to 65536");
                if (parts.size() == 1) h = w;
                s.width = static_cast<int>(w);
                s.height = static_cast<int>(h);
            } else if (key == "resize-short") {
                s.kind = PreprocessStep::Kind::resize_short;
                int64_t v = 0;
                if (!io_detail::parse_int(val, kMaxSide, v) || v == 0)
                    throw bad("resize-short needs a positive integer side up to 65536");
                s.width = s.height = static_cast<int>(v);
            } else if (key == "scale") {
                s.kind = PreprocessStep::Kind::scale;
                const auto parts = io_detail::split(val, '/');
                double n = 0, d = 1;
                if (parts.size() > 2 || !io_detail::parse_double(parts[0], n) ||
                    (parts.size() == 2 && (!io_detail::parse_double(parts[1], d) || d == 0)))
                    throw bad("scale needs a finite number F or a fraction N/D with D != 0");
                s.num = n;
                s.den = d;
            } else if (key == "mean" || key == "std") {
                s.kind = key == "mean" ? PreprocessStep::Kind::mean : PreprocessStep::Kind::stddev;
                const auto parts = io_detail::split(val, ',');
                if (parts.size() != 1 && parts.size() != 3) throw bad(key + " needs 1 or 3 comma-separated numbers");
                for (const auto& p : parts) {
                    double v = 0;
                    if (!io_detail::parse_double(p, v)) throw bad("'" + io_detail::trim(p) + "' is not a number");
                    if (key == "std" && v == 0) throw bad("std values must not be 0");
                    s.values.push_back(v);
                }
            } else if (key == "layout") {
                std::string v = val;
                for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (v == "nchw") r.nhwc_ = false;
                else if (v == "nhwc") r.nhwc_ = true;
                else throw bad("layout is nchw or nhwc");
                continue;
            } else {
                throw bad("unknown step");
            }
            r.steps_.push_back(std::move(s));
        }
        return r;
    }

    std::string to_string() const {
        std::string out;
        for (const auto& s : steps_) {
            if (!out.empty()) out += ';';
            switch (s.kind) {
                case PreprocessStep::Kind::gray: out += "gray"; break;
                case PreprocessStep::Kind::rgb: out += "rgb"; break;
                case PreprocessStep::Kind::bgr: out += "bgr"; break;
                case PreprocessStep::Kind::resize:
                    out += "resize=" + std::to_string(s.width) + "x" + std::to_string(s.height);
                    break;
                case PreprocessStep::Kind::resize_short: out += "resize-short=" + std::to_string(s.width); break;
                case PreprocessStep::Kind::crop:
                    out += "crop=" + std::to_string(s.width) + "x" + std::to_string(s.height);
                    break;
                case PreprocessStep::Kind::scale:
                    out += "scale=" + io_detail::format_number(s.num);
                    if (s.den != 1) out += "/" + io_detail::format_number(s.den);
                    break;
                case PreprocessStep::Kind::mean:
                case PreprocessStep::Kind::stddev: {
                    out += s.kind == PreprocessStep::Kind::mean ? "mean=" : "std=";
                    for (size_t i = 0; i < s.values.size(); ++i) {
                        if (i) out += ',';
                        out += io_detail::format_number(s.values[i]);
                    }
                    break;
                }
            }
        }
        if (nhwc_) out += out.empty() ? "layout=nhwc" : ";layout=nhwc";
        return out.empty() ? "raw" : out;
    }

    const std::vector<PreprocessStep>& steps() const { return steps_; }
    bool nhwc() const { return nhwc_; }
    bool operator==(const Recipe& o) const { return steps_ == o.steps_ && nhwc_ == o.nhwc_; }
    bool operator!=(const Recipe& o) const { return !(*this == o); }

    // float32 [C,H,W] (nchw) or [H,W,C] (nhwc). Errors name the image's source.
    Tensor apply(const Image& image) const {
        const std::string& src = image.source;
        if ((image.channels != 1 && image.channels != 3) || image.width <= 0 || image.height <= 0 ||
            image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) *
                                       static_cast<size_t>(image.channels))
            throw Error("invalid image", src,
                        std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                            std::to_string(image.channels) + " with " + std::to_string(image.pixels.size()) +
                            " pixel values");
        enum class Order { gray, rgb, bgr };
        std::vector<float> px = image.pixels, tmp;
        int w = image.width, h = image.height, c = image.channels;
        Order order = c == 1 ? Order::gray : Order::rgb;
        auto pixels = [&] { return static_cast<size_t>(w) * static_cast<size_t>(h); };
        auto to_three = [&] {  // gray -> 3 equal channels
            tmp.resize(pixels() * 3);
            for (size_t i = 0; i < pixels(); ++i) tmp[3 * i] = tmp[3 * i + 1] = tmp[3 * i + 2] = px[i];
            px.swap(tmp);
            c = 3;
        };
        auto swap_rb = [&] {
            for (size_t i = 0; i < pixels(); ++i) std::swap(px[3 * i], px[3 * i + 2]);
        };
        auto per_channel = [&](const PreprocessStep& s, const char* name) {
            if (s.values.size() == 3 && c != 3)
                throw Error(std::string(name) + " has 3 values but the image has 1 channel", src,
                            "recipe '" + to_string() + "': add rgb (or bgr) before " + name +
                                ", or give one value");
            std::vector<float> v(static_cast<size_t>(c));
            for (size_t k = 0; k < v.size(); ++k)
                v[k] = static_cast<float>(s.values.size() == 1 ? s.values[0] : s.values[k]);
            return v;
        };

        for (const auto& s : steps_) {
            switch (s.kind) {
                case PreprocessStep::Kind::gray:
                    if (order != Order::gray) {
                        const size_t ri = order == Order::rgb ? 0 : 2, bi = 2 - ri;
                        tmp.resize(pixels());
                        for (size_t i = 0; i < pixels(); ++i)
                            tmp[i] = 0.299f * px[3 * i + ri] + 0.587f * px[3 * i + 1] + 0.114f * px[3 * i + bi];
                        px.swap(tmp);
                        c = 1;
                        order = Order::gray;
                    }
                    break;
                case PreprocessStep::Kind::rgb:
                case PreprocessStep::Kind::bgr: {
                    const Order want = s.kind == PreprocessStep::Kind::rgb ? Order::rgb : Order::bgr;
                    if (order == Order::gray) to_three();
                    else if (order != want) swap_rb();
                    order = want;
                    break;
                }
                case PreprocessStep::Kind::resize:
                    if (s.width != w || s.height != h) {
                        io_detail::resize_bilinear_hwc(px, w, h, c, s.width, s.height, tmp);
                        px.swap(tmp);
                        w = s.width;
                        h = s.height;
                    }
                    break;
                case PreprocessStep::Kind::resize_short: {
                    const int64_t S = s.width;
                    int64_t nw, nh;
                    if (w <= h) {
                        nw = S;
                        nh = S * h / w;
                    } else {
                        nh = S;
                        nw = S * w / h;
                    }
                    if (nw < 1) nw = 1;
                    if (nh < 1) nh = 1;
                    if (nw > 65536 || nh > 65536)
                        throw Error("resize-short gives an image too large", src,
                                    "resize-short=" + std::to_string(S) + " of a " + std::to_string(w) + "x" +
                                        std::to_string(h) + " image gives " + std::to_string(nw) + "x" +
                                        std::to_string(nh) + " (sides are limited to 65536)");
                    if (nw != w || nh != h) {
                        io_detail::resize_bilinear_hwc(px, w, h, c, static_cast<int>(nw), static_cast<int>(nh), tmp);
                        px.swap(tmp);
                        w = static_cast<int>(nw);
                        h = static_cast<int>(nh);
                    }
                    break;
                }
                case PreprocessStep::Kind::crop: {
                    if (s.width > w || s.height > h)
                        throw Error("crop larger than the image", src,
                                    "crop=" + std::to_string(s.width) + "x" + std::to_string(s.height) +
                                        " of a " + std::to_string(w) + "x" + std::to_string(h) +
                                        " image; resize first (e.g. resize-short=" +
                                        std::to_string(std::max(s.width, s.height)) + ")");
                    const int top = io_detail::center_offset(h - s.height);
                    const int left = io_detail::center_offset(w - s.width);
                    const size_t C = static_cast<size_t>(c);
                    tmp.resize(static_cast<size_t>(s.width) * static_cast<size_t>(s.height) * C);
                    for (int y = 0; y < s.height; ++y) {
                        const float* from = px.data() + (static_cast<size_t>(top + y) * static_cast<size_t>(w) +
                                                         static_cast<size_t>(left)) * C;
                        std::copy(from, from + static_cast<size_t>(s.width) * C,
                                  tmp.data() + static_cast<size_t>(y) * static_cast<size_t>(s.width) * C);
                    }
                    px.swap(tmp);
                    w = s.width;
                    h = s.height;
                    break;
                }
                case PreprocessStep::Kind::scale:
                    if (s.num == 1) {
                        const float d = static_cast<float>(s.den);
                        for (float& v : px) v = v / d;
                    } else if (s.den == 1) {
                        const float m = static_cast<float>(s.num);
                        for (float& v : px) v = v * m;
                    } else {
                        const float m = static_cast<float>(s.num), d = static_cast<float>(s.den);
                        for (float& v : px) v = v * m / d;
                    }
                    break;
                case PreprocessStep::Kind::mean: {
                    const auto m = per_channel(s, "mean");
                    const size_t C = static_cast<size_t>(c);
                    for (size_t i = 0; i < px.size(); ++i) px[i] = px[i] - m[i % C];
                    break;
                }
                case PreprocessStep::Kind::stddev: {
                    const auto d = per_channel(s, "std");
                    const size_t C = static_cast<size_t>(c);
                    for (size_t i = 0; i < px.size(); ++i) px[i] = px[i] / d[i % C];
                    break;
                }
            }
        }

        const int64_t H = h, W = w, Cc = c;
        if (nhwc_) {
            Tensor t(DType::f32, Shape{H, W, Cc});
            std::copy(px.begin(), px.end(), t.data<float>());
            return t;
        }
        Tensor t(DType::f32, Shape{Cc, H, W});
        float* out = t.data<float>();
        const size_t P = pixels(), C = static_cast<size_t>(c);
        for (size_t ch = 0; ch < C; ++ch)
            for (size_t i = 0; i < P; ++i) out[ch * P + i] = px[i * C + ch];
        return t;
    }

private:
    void append(const Recipe& o) {
        steps_.insert(steps_.end(), o.steps_.begin(), o.steps_.end());
        if (o.nhwc_) nhwc_ = true;
    }
    std::vector<PreprocessStep> steps_;
    bool nhwc_ = false;
};

// Makes a preprocessed sample the model's input (without batch): reshaped when the element counts
// agree (an MLP taking [784] reads a 1x28x28 image), otherwise an Error saying which resize (and
// channel conversion) the recipe lacks. `where` names the sample (its file).
inline Tensor fit_to_input(const Tensor& sample, const Shape& model_input_without_batch, const std::string& where) {
    const Shape& in = model_input_without_batch;
    for (auto d : in)
        if (d <= 0)
            throw Error("model input has unknown dimensions", where,
                        "input " + in.str() + " (without batch) must be concrete to feed images");
    if (sample.numel() == in.numel()) return sample.reshaped(in);

    std::string hint;
    auto chan_hint = [](int64_t ch) -> std::string {
        return ch == 1 ? " and gray" : ch == 3 ? " and rgb" : "";
    };
    if (in.rank() == 3 && (in[0] == 1 || in[0] == 3))
        hint = "add resize=" + std::to_string(in[2]) + "x" + std::to_string(in[1]) + chan_hint(in[0]) +
               " to the recipe";
    else if (in.rank() == 3 && (in[2] == 1 || in[2] == 3))
        hint = "add resize=" + std::to_string(in[1]) + "x" + std::to_string(in[0]) + chan_hint(in[2]) +
               " and layout=nhwc to the recipe";
    else if (in.rank() == 1 && in[0] > 0) {
        const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(in[0]))));
        if (side * side == in[0])
            hint = "add resize=" + std::to_string(side) + "x" + std::to_string(side) + " and gray to the recipe";
    }
    if (hint.empty()) hint = "add a resize (resize=WxH) to the recipe so the image has " +
                             std::to_string(in.numel()) + " values";
    throw Error("image size does not fit the model", where,
                "the preprocessed image " + sample.shape().str() + " has " + std::to_string(sample.numel()) +
                    " values, the model input " + in.str() + " takes " + std::to_string(in.numel()) +
                    "; a resize is needed in the recipe: " + hint);
}

}  // namespace mutiny

#endif  // MUTINY_IO_PREPROCESS_HPP_
