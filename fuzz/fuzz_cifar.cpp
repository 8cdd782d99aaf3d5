// libFuzzer target: cifar_parse_records (variant and accept_partial from the first byte) and
// cifar_parse_label_names on the same bytes as text. Only FormatError/IoError, CifarPartialError and
// CifarAmbiguousError may escape; a parse that succeeds must give consistent sizes and in-range labels.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cifar.hpp"
#include "error.hpp"

using convscope::CifarVariant;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t control = data[0];
    const CifarVariant variant = (control & 1) ? CifarVariant::Cifar100 : CifarVariant::Cifar10;
    const bool accept_partial = (control & 2) != 0;
    try {
        convscope::CifarDataset ds;
        convscope::cifar_parse_records(data + 1, size - 1, "fuzz.bin", variant, accept_partial, ds);
        if (ds.pixels.size() != ds.images.size() * static_cast<size_t>(convscope::kCifarPixels)) __builtin_trap();
        for (const convscope::CifarImage& img : ds.images) {
            if (variant == CifarVariant::Cifar10 && img.label > 9) __builtin_trap();
            if (variant == CifarVariant::Cifar100 && (img.label > 99 || img.coarse_label > 19)) __builtin_trap();
        }
    } catch (const convscope::Error&) {
    } catch (const convscope::CifarPartialError&) {
    } catch (const convscope::CifarAmbiguousError&) {
    }
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    for (const size_t expected : {size_t{10}, size_t{20}, size_t{100}}) {
        std::vector<std::string> warnings;
        const std::vector<std::string> names =
            convscope::cifar_parse_label_names(text, expected, "fuzz_names.txt", warnings);
        if (names.size() != expected) __builtin_trap();
        for (const std::string& n : names)
            if (n.empty() || n.size() > convscope::kCifarMaxNameLine) __builtin_trap();
    }
    return 0;
}
