// libFuzzer target: scene_from_json on arbitrary text. Only FormatError/Error may escape. A scene that loads must
// serialise, load again, and serialise to the same text (the writer and reader agree).
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "scene_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    convscope::SceneFile scene;
    try {
        scene = convscope::scene_from_json(text, "fuzz.json", "/scenes");
    } catch (const convscope::Error&) {
        return 0;
    }
    const std::string once = convscope::scene_to_json(scene, "/scenes");
    const convscope::SceneFile again = convscope::scene_from_json(once, "fuzz.json", "/scenes");
    if (convscope::scene_to_json(again, "/scenes") != once) __builtin_trap();
    return 0;
}
