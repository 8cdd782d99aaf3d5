// The GPU cache: every texture the window draws from, made from the workspace when what it shows changed.
// Sections: scene textures · partial maps and products · ReLU + pool maps · CIFAR pages · Batch vs channel · refresh
#include "gpu_cache.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "app_state.hpp"
#include "cifar.hpp"
#include "conv_reference.hpp"
#include "gl_render.hpp"

namespace convscope::gui {

namespace {

// ---- scene textures: the padded input (and its colours), the filters, the feature maps ----

void upload_scene(GpuCache& gpu, const Workspace& ws) {
    const Scene& sc = *ws.scene;
    const ConvGeometry& g = sc.geo;
    const int64_t H = g.in[0], W = g.in[1];
    const int64_t Hp = H + g.pad_begin[0] + g.pad_end[0], Wp = W + g.pad_begin[1] + g.pad_end[1];
    float lo = 0.0f, hi = 0.0f;
    bool bad = false;
    for (float v : sc.x.data) {
        if (!std::isfinite(v)) {
            bad = true;
            continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    // The padded input: texel (py, px) shows the real element F.pad would put there (0 for zeros padding). The
    // source row and column of every padded row and column, resolved once (per texel, the two calls were most of
    // the upload of a 224x224 picture).
    std::vector<int64_t> src_row(static_cast<size_t>(Hp)), src_col(static_cast<size_t>(Wp));
    for (int64_t py = 0; py < Hp; ++py) src_row[py] = resolve_padded_index(py - g.pad_begin[0], H, g.mode);
    for (int64_t px = 0; px < Wp; ++px) src_col[px] = resolve_padded_index(px - g.pad_begin[1], W, g.mode);
    auto padded = [&](int64_t n, int64_t c, int64_t py, int64_t px, float& value, float& flag) {
        const int64_t iy = py - g.pad_begin[0], ix = px - g.pad_begin[1];
        const int64_t sy = src_row[py], sx = src_col[px];
        flag = (iy < 0 || iy >= H || ix < 0 || ix >= W) ? 1.0f : 0.0f;
        value = (sy < 0 || sx < 0) ? 0.0f : sc.x[((n * g.c_in + c) * H + sy) * W + sx];
    };
    upload_tiles(gpu.input_atlas, static_cast<int>(g.n * g.c_in), static_cast<int>(Wp), static_cast<int>(Hp), 2,
                 [&](int t, float* texels) {
                     const int64_t n = t / g.c_in, c = t % g.c_in;
                     for (int64_t py = 0; py < Hp; ++py)
                         for (int64_t px = 0; px < Wp; ++px) {
                             const int64_t i = py * Wp + px;
                             padded(n, c, py, px, texels[2 * i], texels[2 * i + 1]);
                         }
                 });
    gpu.input_atlas.lo = lo;
    gpu.input_atlas.hi = hi;
    gpu.input_atlas.scale = std::max(std::fabs(lo), std::fabs(hi));
    gpu.input_atlas.non_finite = bad;
    if (g.dims == 2 && g.c_in == 3) {
        upload_tiles(gpu.rgb_atlas, static_cast<int>(g.n), static_cast<int>(Wp), static_cast<int>(Hp), 4,
                     [&](int n, float* texels) {
                         for (int64_t py = 0; py < Hp; ++py)
                             for (int64_t px = 0; px < Wp; ++px) {
                                 float* t = texels + 4 * (py * Wp + px);
                                 for (int c = 0; c < 3; ++c) padded(n, c, py, px, t[c], t[3]);
                             }
                     });
    }
    float wmax = 0.0f;
    bool wbad = false;
    for (float v : sc.w.data) {
        if (std::isfinite(v))
            wmax = std::max(wmax, std::fabs(v));
        else
            wbad = true;
    }
    const int64_t kH = g.kernel[0], kW = g.kernel[1];
    upload_tiles(gpu.filter_atlas, static_cast<int>(g.c_out * g.c_in_per_group), static_cast<int>(kW),
                 static_cast<int>(kH), 2, [&](int t, float* texels) {
                     for (int64_t i = 0; i < kH * kW; ++i) {
                         texels[2 * i] = sc.w[t * kH * kW + i];
                         texels[2 * i + 1] = 0.0f;
                     }
                 });
    gpu.filter_atlas.scale = wmax;
    gpu.filter_atlas.non_finite = wbad;
    const int64_t Ho = g.out[0], Wo = g.out[1];
    upload_tiles(gpu.fmap_atlas, static_cast<int>(g.n * g.c_out), static_cast<int>(Wo), static_cast<int>(Ho), 2,
                 [&](int t, float* texels) {
                     for (int64_t i = 0; i < Ho * Wo; ++i) {
                         texels[2 * i] = ws.output->y[t * Ho * Wo + i];
                         texels[2 * i + 1] = static_cast<float>(t * Ho * Wo + i);
                     }
                 });
    gpu.fmap_atlas.scale = ws.output->abs_max;
    gpu.fmap_atlas.non_finite = ws.output->has_non_finite;
}

// ---- the Channel sums' partial maps and the cursor's products ----

void upload_partials(GpuCache& gpu, const Workspace& ws) {
    if (gpu.partials_key == ws.partials_key || ws.partials_key[0] != static_cast<int64_t>(ws.scene->id)) return;
    gpu.partials_key = ws.partials_key;
    const ConvGeometry& g = ws.geo();
    const int64_t Ho = g.out[0], Wo = g.out[1];
    const int64_t base = (ws.partials_key[1] * g.c_out + ws.partials_key[2]) * Ho * Wo;
    upload_tiles(gpu.partial_atlas, static_cast<int>(g.c_in_per_group), static_cast<int>(Wo), static_cast<int>(Ho), 2,
                 [&](int t, float* texels) {
                     for (int64_t i = 0; i < Ho * Wo; ++i) {
                         texels[2 * i] = ws.partials.maps[t * Ho * Wo + i];
                         texels[2 * i + 1] = static_cast<float>(base + i);
                     }
                 });
    gpu.partial_atlas.scale = ws.partials.abs_max;
    gpu.partial_atlas.non_finite = ws.partials.non_finite;
}

void upload_products(GpuCache& gpu, const Workspace& ws) {
    const std::array<int64_t, 3> key{static_cast<int64_t>(ws.scene->id), ws.step, static_cast<int64_t>(ws.granularity)};
    if (key == gpu.product_key) return;
    gpu.product_key = key;
    const ConvGeometry& g = ws.geo();
    const int64_t kk = g.kernel[0] * g.kernel[1];
    float m = 0.0f;
    for (const CursorTap& t : ws.cs.taps)
        if (std::isfinite(t.product)) m = std::max(m, std::fabs(t.product));
    upload_tiles(gpu.product_atlas, static_cast<int>(g.c_in_per_group), static_cast<int>(g.kernel[1]),
                 static_cast<int>(g.kernel[0]), 2, [&](int ci, float* texels) {
                     for (int64_t i = 0; i < kk; ++i) {
                         texels[2 * i] = ws.cs.taps[static_cast<size_t>(ci * kk + i)].product;
                         texels[2 * i + 1] = static_cast<float>(ci * kk + i);
                     }
                 });
    gpu.product_atlas.scale = m;
}

// ---- the "then ReLU + pool" tab's maps ----

void upload_after(GpuCache& gpu, const AfterConv& a) {
    if (gpu.after_generation == a.generation) return;
    gpu.after_generation = a.generation;
    const workspace::AfterResult& r = a.result;
    if (r.out.data.empty()) {
        gpu.after_atlas.count = 0;
        return;
    }
    const int64_t plane = r.out_h * r.out_w;
    const ConvGeometry& g = r.source->scene->geo;
    upload_tiles(gpu.after_atlas, static_cast<int>(g.n * g.c_out), static_cast<int>(r.out_w), static_cast<int>(r.out_h),
                 2, [&](int t, float* texels) {
                     for (int64_t i = 0; i < plane; ++i) {
                         texels[2 * i] = r.out[t * plane + i];
                         texels[2 * i + 1] = 0.0f;
                     }
                 });
}

// ---- CIFAR browser: the thumbnail pages the panel asked for ----

void upload_cifar_pages(GpuCache& gpu, const CifarDataset* set, const CifarView& v) {
    if (!set) return;
    for (size_t slot = 0; slot < 2; ++slot) {
        const auto& want = v.wanted[slot];
        if (want[0] < 0 || want == gpu.cifar_page_keys[slot] || want[2] != v.generation) continue;
        gpu.cifar_page_keys[slot] = want;
        const int64_t first = want[0], count = std::min<int64_t>(want[1], static_cast<int64_t>(v.shown.size()) - first);
        if (count <= 0) continue;
        const uint8_t* px = set->pixels.data();
        upload_tiles(gpu.cifar_pages[slot], static_cast<int>(count), 32, 32, 4, [&](int t, float* texels) {
            const uint8_t* img = px + v.shown[static_cast<size_t>(first + t)] * kCifarPixels;
            for (int i = 0; i < 1024; ++i) {
                texels[4 * i] = static_cast<float>(img[i]) / 255.0f;
                texels[4 * i + 1] = static_cast<float>(img[1024 + i]) / 255.0f;
                texels[4 * i + 2] = static_cast<float>(img[2048 + i]) / 255.0f;
                texels[4 * i + 3] = 0.0f;
            }
        });
    }
}

// ---- Batch vs channel: both sides' images and maps, once per pair ----

float abs_max(const Tensor& t) {
    float m = 0;
    for (float v : t.data)
        if (std::isfinite(v)) m = std::max(m, std::fabs(v));
    return m > 0 ? m : 1.0f;
}

void upload_compare(GpuCache& gpu, const CompareUi& c) {
    if (!c.pair || gpu.compare_key == c.pair->batch.get()) return;
    gpu.compare_key = c.pair->batch.get();
    const workspace::BatchChannelPair& p = *c.pair;
    const ConvGeometry& g = p.batch->geo;
    const int H = static_cast<int>(g.in[0]), W = static_cast<int>(g.in[1]);
    const int Ho = static_cast<int>(g.out[0]), Wo = static_cast<int>(g.out[1]);
    const Tensor& x = p.batch->x;
    upload_tiles(gpu.compare_images, static_cast<int>(p.images()), W, H, 1, [&](int i, float* t) {
        std::copy_n(x.data.begin() + static_cast<std::ptrdiff_t>(i) * H * W, H * W, t);
    });
    float hi = 0;
    for (float v : x.data) hi = std::max(hi, v);
    gpu.compare_images.lo = 0;
    gpu.compare_images.hi = hi > 0 ? hi : 1.0f;
    auto maps = [&](TileAtlas& atlas, const Tensor& y) {
        upload_tiles(atlas, static_cast<int>(y.dim(0) * y.dim(1)), Wo, Ho, 1, [&](int i, float* t) {
            std::copy_n(y.data.begin() + static_cast<std::ptrdiff_t>(i) * Ho * Wo, Ho * Wo, t);
        });
        atlas.scale = abs_max(y);
    };
    maps(gpu.compare_batch_maps, p.y_batch);
    maps(gpu.compare_channel_maps, p.y_channels);
}

}  // namespace

// ---- refresh ----

void gpu_refresh(GpuCache& gpu, const Workspace& ws, const ViewSettings& view) {
    if (gpu.legend_ramp.count == 0)
        upload_tiles(gpu.legend_ramp, 1, 256, 1, 1, [](int, float* texels) {
            for (int i = 0; i < 256; ++i) texels[i] = -1.0f + 2.0f * (static_cast<float>(i) + 0.5f) / 256.0f;
        });
    if (ws.scene && gpu.scene_key != ws.scene->id) {
        upload_scene(gpu, ws);
        gpu.scene_key = ws.scene->id;
    }
    if (ws.scene) {
        upload_partials(gpu, ws);
        upload_products(gpu, ws);
    }
    upload_after(gpu, ws.after);
    upload_cifar_pages(gpu, ws.cifar.set.get(), view.cifar);
    upload_compare(gpu, view.compare);
}

void gpu_release(GpuCache& gpu) {
    for (TileAtlas* a : {&gpu.input_atlas, &gpu.rgb_atlas, &gpu.filter_atlas, &gpu.fmap_atlas, &gpu.partial_atlas,
                         &gpu.product_atlas, &gpu.legend_ramp, &gpu.after_atlas, &gpu.cifar_pages[0],
                         &gpu.cifar_pages[1], &gpu.compare_images, &gpu.compare_batch_maps, &gpu.compare_channel_maps})
        gl_destroy_texture(a->texture);
}

}  // namespace convscope::gui
