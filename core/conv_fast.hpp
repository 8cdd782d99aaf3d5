// convscope core: the full-layer fast path, grouped, every padding mode, 1-D and 2-D. Five engines: the direct
// kernel (conv_direct.hpp; AVX-512, AVX2 + FMA or generic SSE2, chosen by resolve_isa), the channel-blocked kernel
// (conv_blocked.hpp, AVX-512), the depthwise kernel (conv_depthwise.hpp, every instruction set), the pointwise kernel
// for 1x1 layers (conv_pointwise.hpp, every instruction set), and im2col (unfold) + OpenBLAS sgemm (the input is padded
// once, then unfolded without bounds checks); fast_conv_path picks one. The reference (conv_reference.hpp) stays the
// readable definition; tests compare every engine with it on every awkward shape.
#pragma once

#include <string>

#include "conv_spec.hpp"
#include "simd.hpp"
#include "tensor.hpp"

namespace convscope {

enum class FastConvPath {
    Auto,       // the engine that measured fastest for the layer's kind on this CPU (fast_conv_path)
    Gemm,       // im2col + OpenBLAS sgemm (its speed depends on OpenBLAS recognising the CPU)
    Direct,     // the direct kernel, with options.isa
    Depthwise,  // the depthwise kernel (conv_depthwise.hpp), with options.isa; on other layers: Direct
    Pointwise,  // the pointwise kernel (conv_pointwise.hpp), with options.isa; on layers not 1x1 without padding:
                // Direct
    Blocked,    // the channel-blocked kernel (conv_blocked.hpp), AVX-512 only; where it does not run
                // (conv_blocked_supports): Direct
};

struct FastConvOptions {
    int threads = 0;  // worker threads; 0 = the machine's cores
    FastConvPath path = FastConvPath::Auto;
    Isa isa = Isa::Auto;  // the direct kernel's instruction set; Auto: resolve_isa (CONVSCOPE_ISA, else the widest)
};

// Same contract as conv_reference: y = conv(x, w) + b, PyTorch's output shape. Differs from the reference only
// by float32 accumulation order, never in which outputs are NaN, +inf or -inf: when a finite sum could overflow
// (conv_sums_cannot_overflow is false: inputs near 3e38) the reference computes the layer, so every engine gives
// the same non-finite values; otherwise NaN and infinities in the data propagate the same way in any order.
Tensor conv_fast(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias,
                 const FastConvOptions& options = {});

// True when no partial sum of any output can overflow float32, in any summation order (a bound from the largest
// finite magnitudes of x, w and bias and the multiply-adds per output).
bool conv_sums_cannot_overflow(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

// The thread count conv_fast will use for `options` (resolves 0 to the number of cores).
int fast_conv_threads(const FastConvOptions& options);

// The engine conv_fast runs for g with `options` (never Auto), and its name for benchmark and CLI reports:
// "direct-<isa>", "blocked-avx512", "depthwise-<isa>", "pointwise-<isa>" (isa: avx512, avx2, generic) or
// "im2col-sgemm". Both may
// throw ConfigError from resolve_isa (a CONVSCOPE_ISA this CPU cannot run). A forced Depthwise runs Direct on a
// layer that is not depthwise (is_depthwise), a forced Pointwise runs Direct on one that is not 1x1 without padding
// (is_pointwise), a forced Blocked runs Direct where conv_blocked_supports is false (no AVX-512 asked for, a column
// stride above 2).
// Auto, measured on the README's benchmark rows with every instruction set: Depthwise for depthwise layers,
// Pointwise for 1x1 layers without padding, Blocked for the 2-D layers where it measured faster with AVX-512
// (blocked_pays in conv_fast.cpp), Direct for every other layer. Gemm (im2col + OpenBLAS) only when asked.
FastConvPath fast_conv_path(const ConvGeometry& g, const FastConvOptions& options);

// True when OpenBLAS picked kernels made for this CPU's vector units (Haswell, Zen, SkylakeX, Cooperlake,
// SapphireRapids), false when it fell back to older generic ones because it did not recognise the processor.
bool blas_kernels_match_cpu();
std::string fast_conv_engine_name(const ConvGeometry& g, const FastConvOptions& options);

}  // namespace convscope
