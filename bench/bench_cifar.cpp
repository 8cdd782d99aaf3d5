// Times cifar_open on a full-size CIFAR-10 batch (10,000 records, 30,730,000 bytes) written to a temporary file,
// and prints one line:
//   cifar_open 10000 records: best <ms> ms, median <ms> ms over <n> runs
// The file is in the page cache after the first run, as it is when a user reopens a batch. Figures only; tests
// never assert timing (tests/cifar_test.cpp checks that the same batch opens whole).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cifar.hpp"

using namespace convscope;

int main() {
    constexpr size_t kImages = 10000, kPixels = 3072;
    std::vector<uint8_t> pixels(kImages * kPixels);
    std::vector<CifarImage> labels(kImages);
    for (size_t i = 0; i < kImages; ++i) {
        for (size_t k = 0; k < kPixels; ++k) pixels[i * kPixels + k] = static_cast<uint8_t>((i * 7 + k * 13) % 256);
        labels[i].label = static_cast<uint8_t>(i % 10);
    }
    const std::vector<uint8_t> bytes = cifar_encode_records(CifarVariant::Cifar10, pixels, labels);
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("convscope-bench-cifar-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "data_batch_1.bin").string();
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    std::vector<double> ms;
    for (int run = 0; run < 15; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        const CifarDataset ds = cifar_open(path);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (ds.size() != static_cast<int64_t>(kImages)) {
            std::fprintf(stderr, "bench_cifar: opened %lld records, expected %zu\n", static_cast<long long>(ds.size()),
                         kImages);
            return 1;
        }
    }
    std::filesystem::remove_all(dir);
    std::sort(ms.begin(), ms.end());
    std::printf("cifar_open %zu records: best %.1f ms, median %.1f ms over %zu runs\n", kImages, ms.front(),
                ms[ms.size() / 2], ms.size());
    return 0;
}
