// convscope-cli: how the subcommands write numbers and positions, and the closing lines every explain prints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cursor.hpp"

// A value with 7 significant digits ("%.7g"): enough to tell float32 results apart, as the tables print them.
std::string number_text(double v);

// An input or output position: "(x)" when dims == 1, "(y,x)" otherwise.
std::string position_text(int dims, int64_t y, int64_t x);

// A kernel tap in explain's first column: "kx" when dims == 1, "ky,kx" otherwise.
std::string kernel_tap_text(int dims, int64_t ky, int64_t kx);

// The last three lines of a convolution's explain (conv and conv-transpose): the channel sums added up (the first
// eight, then a count), the bias b[c_out], and y[pos] = value.
void print_output_sum(const std::vector<convscope::CursorChannel>& channels, float value, float bias, int64_t c_out,
                      const std::string& pos);
