// convscope-cli: `shape` for a chain of Keras layers on a channels-last input (core/keras_layer.hpp).
// run_shape() hands a chain over when chain_convention() says Keras.
#pragma once

#include <string>
#include <vector>

#include "tensor.hpp"

// Prints the chain (text or --json: per layer output, kernel, bias, params, pads, formula); 0 ok, 1 a layer failed.
int run_keras_shape(const convscope::Shape& input, const std::vector<std::string>& layers, bool json);
