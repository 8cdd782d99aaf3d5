// convscope-cli: transposed convolution (ConvTranspose1d / ConvTranspose2d).
//   conv-transpose --input x.npy --weight w.npy [--bias b.npy] [--stride S] [--padding P] [--output-padding A]
//                  [--dilation D] [--groups G] --output y.npy [--force] [--engine fast|reference] [--threads N]
//   explain --transposed <the same options> --at n,c,y,x [--json]
//                  one output of the transposed convolution: every input element x weight that lands on it (the
//                  gather picture: the window over the zero-inserted input with the flipped kernel) and the sum
// Weight layout (C_in, C_out/groups, [kH,] kW): rank 3 means ConvTranspose1d, rank 4 ConvTranspose2d.
// Wiring in main(): `SubcommandSet t = add_transpose_commands(app);` after the explain subcommand exists, then
// `if (auto code = t.run()) return *code;` after parsing, before explain's own dispatch.
#pragma once

#include "cli_args.hpp"

// Registers conv-transpose and adds --transposed / --output-padding to the existing explain subcommand. Its run():
// the exit code if conv-transpose or explain --transposed was selected (0 success; 1 invalid input or configuration
// with PyTorch's text on stderr; 2 usage), std::nullopt otherwise.
SubcommandSet add_transpose_commands(CLI::App& app);
