// Writes small, genuine seed inputs for every fuzz target into DIR/<target>/, made with the core's own writers:
//   npy:   .npy files of rank 0..4 (npy_serialize)
//   cifar: a control byte + CIFAR-10 / CIFAR-100 records (cifar_encode_records); a label-names text
//   image: PNG (png_encode), JPEG (jpeg_encode), a 24-bit BMP written by hand
//   scene: scene_to_json of builtin, embedded, image, cifar, npy and onnx scenes
//   layer: an input shape and layer texts (the seed Net, a Conv1d, a huge dilation, a Keras net and Conv1D); raw
//          int64 settings
// ONNX seeds are copied by scripts/fuzz.sh from libonnx-testdata. Usage: fuzz_make_seeds DIR
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cifar.hpp"
#include "image_io.hpp"
#include "npy.hpp"
#include "scene_io.hpp"

namespace {

using Bytes = std::vector<uint8_t>;

void put(const std::filesystem::path& dir, const std::string& name, const Bytes& bytes) {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void put_text(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
    put(dir, name, Bytes(text.begin(), text.end()));
}

Bytes rgb_of(int64_t w, int64_t h) {
    Bytes rgb(static_cast<size_t>(w * h * 3));
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 29 % 251);
    return rgb;
}

Bytes bmp_of(int32_t w, int32_t h) {
    const uint32_t stride = (static_cast<uint32_t>(w) * 3 + 3) & ~3u;
    Bytes b = {'B', 'M'};
    const auto le32 = [&](uint32_t v) {
        for (int s = 0; s < 32; s += 8) b.push_back(static_cast<uint8_t>(v >> s));
    };
    le32(54 + stride * static_cast<uint32_t>(h));
    le32(0);
    le32(54);
    le32(40);
    le32(static_cast<uint32_t>(w));
    le32(static_cast<uint32_t>(h));
    b.insert(b.end(), {1, 0, 24, 0});
    for (int i = 0; i < 6; ++i) le32(0);
    for (uint32_t i = 0; i < stride * static_cast<uint32_t>(h); ++i) b.push_back(static_cast<uint8_t>(i * 7));
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::filesystem::path out(argv[1]);
    using namespace convscope;

    // npy
    Tensor t0(Shape{});
    t0.data[0] = 3.5f;
    put(out / "npy", "scalar.npy", npy_serialize(t0));
    Tensor t2(Shape{2, 3});
    for (size_t i = 0; i < t2.data.size(); ++i) t2.data[i] = static_cast<float>(i) - 2.5f;
    put(out / "npy", "matrix.npy", npy_serialize(t2));
    put(out / "npy", "weight.npy", npy_serialize(Tensor(Shape{4, 3, 3, 3})));

    // cifar: control byte (bit 0: CIFAR-100, bit 1: accept partial) + records
    for (const CifarVariant v : {CifarVariant::Cifar10, CifarVariant::Cifar100}) {
        std::vector<CifarImage> labels(2);
        labels[1].label = 7;
        labels[1].coarse_label = 3;
        Bytes pixels(2 * static_cast<size_t>(kCifarPixels));
        for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
        Bytes b = {static_cast<uint8_t>(v == CifarVariant::Cifar100 ? 1 : 0)};
        const Bytes rec = cifar_encode_records(v, pixels, labels);
        b.insert(b.end(), rec.begin(), rec.end());
        put(out / "cifar", v == CifarVariant::Cifar100 ? "cifar100.bin" : "cifar10.bin", b);
        b[0] |= 2;
        b.resize(b.size() - 5);
        put(out / "cifar", v == CifarVariant::Cifar100 ? "cifar100_partial.bin" : "cifar10_partial.bin", b);
    }
    put_text(out / "cifar", "names.txt",
             std::string(1, '\0') + "airplane\r\nautomobile\r\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");

    // images
    put(out / "image", "a.png", png_encode(7, 5, rgb_of(7, 5)));
    put(out / "image", "b.png", png_encode(1, 1, rgb_of(1, 1)));
    put(out / "image", "a.jpg", jpeg_encode(16, 9, rgb_of(16, 9), 80));
    put(out / "image", "b.jpg", jpeg_encode(3, 3, rgb_of(3, 3), 30));
    put(out / "image", "a.bmp", bmp_of(5, 3));

    // scenes
    SceneFile s;
    s.title = "seed";
    put_text(out / "scene", "builtin.json", scene_to_json(s, "/scenes"));
    s.layer.dims = 1;
    s.layer.params.dims = 1;
    s.layer.kernel_size = {3};
    s.layer.params.padding_kind = PaddingKind::Same;
    s.input.kind = SceneInput::Kind::Embedded;
    s.input.tensor = Tensor(Shape{1, 1, 5});
    s.weights.kind = SceneWeights::Kind::Embedded;
    s.weights.weight = Tensor(Shape{1, 1, 3});
    s.weights.bias = Tensor(Shape{1});
    put_text(out / "scene", "embedded.json", scene_to_json(s, "/scenes"));
    SceneFile p;
    p.input.kind = SceneInput::Kind::Image;
    p.input.path = "/scenes/pics/cat.png";
    p.weights.kind = SceneWeights::Kind::Npy;
    p.weights.weight_path = "/elsewhere/w.npy";
    p.layer.params.padding_mode = PaddingMode::Reflect;
    p.layer.params.stride = {2, 1};
    put_text(out / "scene", "paths.json", scene_to_json(p, "/scenes"));
    p.input.kind = SceneInput::Kind::Cifar;
    p.input.path = "/scenes/cifar-10-binary.tar.gz";
    p.input.indices = {0, 5, 9};
    p.weights.kind = SceneWeights::Kind::Onnx;
    p.weights.onnx_path = "m.onnx";
    p.weights.onnx_node = "conv";
    put_text(out / "scene", "cifar_onnx.json", scene_to_json(p, "/scenes"));

    // layer: byte 0 even = shape + layer text lines; odd = raw int64 settings (see fuzz_layer.cpp)
    put_text(out / "layer", "seed_net.txt",
             std::string(1, '\0') +
                 "1,3,32,32\nConv2d(3, 6, 5)\nReLU()\nMaxPool2d(2, 2)\nConv2d(6, 16, 5)\n"
                 "MaxPool2d(2, 2)\nFlatten()\nLinear(400, 120)");
    put_text(
        out / "layer", "conv1d.txt",
        std::string(1, '\0') + "6,768,512\nConv1d(768, 100, 2, stride=2, padding='same', dilation=(3,))\nAvgPool1d(3)");
    put_text(out / "layer", "huge.txt",
             std::string(1, '\0') +
                 "1,3,32,32\nConv2d(3,4,5,dilation=4611686018427387904,padding=2,padding_mode='circular')");
    put_text(out / "layer", "keras_net.txt",
             std::string(1, '\0') +
                 "60,32,32,3\nConv2D(64, (3, 3), strides=2, padding='same', use_bias=False)\nReLU()\n"
                 "MaxPooling2D(pool_size=(2, 2))\nAveragePooling2D(2, padding='same')\nFlatten()\nDense(10)");
    put_text(out / "layer", "keras_conv1d.txt",
             std::string(1, '\0') + "6,512,768\nConv1D(filters=100, kernel_size=2, dilation_rate=3, padding='same')");
    Bytes settings = {1, 0x1D};
    for (int64_t v : {1, 3, 32, 32, 4, 3, 5, 5, 1, 1, 1, 1, 1, 2, 2}) {
        for (int b = 0; b < 8; ++b) settings.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * b)));
    }
    put(out / "layer", "settings.bin", settings);
    return 0;
}
