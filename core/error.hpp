// convscope core: the typed errors the core throws. The core reports, the app presents: these carry a message
// that says what, where and why; nothing in core prints or exits.
#pragma once

#include <stdexcept>
#include <string>

namespace convscope {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// An invalid layer configuration. The message is PyTorch 1.13's own text for the same call.
class ConfigError : public Error {
public:
    using Error::Error;
};

// A file whose bytes do not follow its format (.npy, ONNX, CIFAR, scene JSON, images).
class FormatError : public Error {
public:
    using Error::Error;
};

// The operating system refused: missing file, permission, disk full. The message names the path.
class IoError : public Error {
public:
    using Error::Error;
};

// A computation that would need more memory than the budget (memory_budget.hpp): refused before allocating, with
// the bytes it would need.
class ResourceError : public Error {
public:
    using Error::Error;
};

}  // namespace convscope
