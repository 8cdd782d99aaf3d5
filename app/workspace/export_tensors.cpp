#include "export_tensors.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "npy.hpp"

namespace convscope::workspace {

namespace {

// Canonical 4-D (N, C, 1, L) back to PyTorch's (N, C, L) for 1-D layers.
Tensor torch_layout(const Tensor& t, int dims) {
    if (dims != 1 || t.rank() != 4) return t;
    return Tensor({t.dim(0), t.dim(1), t.dim(3)}, t.data);
}

const char* const kNames[] = {"input.npy", "weight.npy", "bias.npy", "output.npy", "window.npy"};

}  // namespace

Tensor cursor_window(const ConvGeometry& g, const CursorState& cs) {
    const int64_t kH = g.kernel[0], kW = g.kernel[1];
    Tensor win = g.dims == 2 ? Tensor({g.c_in_per_group, kH, kW}) : Tensor({g.c_in_per_group, kW});
    for (size_t i = 0; i < cs.taps.size() && i < win.data.size(); ++i) win.data[i] = cs.taps[i].input;
    return win;
}

std::vector<std::string> export_tensors(const std::string& dir, const SceneTensors& t, bool force) {
    if (dir.empty()) throw ExportError("export tensors: the folder name is empty");
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) throw ExportError(dir + " exists and is not a folder");
        if (!force) {
            for (const char* name : kNames) {
                const std::string p = dir + "/" + name;
                if (::access(p.c_str(), F_OK) == 0)
                    throw ExportError(p + " already exists (pass --force to replace the tensors in " + dir + ")");
            }
        }
    } else if (::mkdir(dir.c_str(), 0755) != 0) {
        throw ExportError(dir + ": cannot create the folder: " + std::strerror(errno));
    }
    const int dims = t.geo.dims;
    std::vector<std::pair<std::string, Tensor>> files;
    files.emplace_back("input.npy", torch_layout(*t.x, dims));
    files.emplace_back("weight.npy", torch_layout(*t.w, dims));
    if (t.bias) files.emplace_back("bias.npy", *t.bias);
    files.emplace_back("output.npy", torch_layout(*t.y, dims));
    files.emplace_back("window.npy", cursor_window(t.geo, t.cursor));
    std::vector<std::string> written;
    try {
        for (const auto& [name, tensor] : files) {
            const std::string p = dir + "/" + name;
            npy_save(p, tensor);
            written.push_back(p);
        }
    } catch (const Error& e) {
        throw ExportError(e.what());
    }
    if (!t.bias) {
        const std::string stale = dir + "/bias.npy";
        if (::unlink(stale.c_str()) != 0 && errno != ENOENT)
            throw ExportError(stale +
                              ": cannot remove the previous bias (this layer has none): " + std::strerror(errno));
    }
    return written;
}

}  // namespace convscope::workspace
