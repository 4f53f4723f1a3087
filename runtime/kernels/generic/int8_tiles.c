/* Repacking q4g32 / q8g32 weights into int8 tiles (kernels.h). */
#include "kernels.h"

static void pack(int q8, const uint8_t* w, size_t n, size_t k, uint8_t* tiles) {
  const size_t groups = k / GEMMAC_QUANT_GROUP, group_bytes = q8 ? GEMMAC_QUANT_GROUP : GEMMAC_QUANT_GROUP / 2;
  const uint8_t* scales = w + n * groups * group_bytes;
  const size_t levels_bytes = groups * 16 * group_bytes;
  for (size_t t = 0; t < (n + 15) / 16; ++t) {
    uint8_t* tile = tiles + t * gemmac_int8_tile_bytes(q8, k);
    __builtin_memset(tile, 0, gemmac_int8_tile_bytes(q8, k)); /* the missing rows of a last tile */
    for (size_t r = 0; r < 16 && 16 * t + r < n; ++r) {
      const size_t j = 16 * t + r;
      for (size_t g = 0; g < groups; ++g) {
        const uint8_t* group = w + (j * groups + g) * group_bytes;
        uint8_t* planes = tile + g * 16 * group_bytes;
        for (size_t p = 0; p < group_bytes / 4; ++p)
          for (size_t b = 0; b < 4; ++b) planes[p * 64 + 4 * r + b] = (uint8_t)(group[4 * p + b] ^ (q8 ? 0x80 : 0));
        __builtin_memcpy(tile + levels_bytes + (g * 16 + r) * 2, scales + (j * groups + g) * 2, 2);
      }
    }
  }
}

void gemmac_int8_tiles_pack_q4g32(const uint8_t* w, size_t n, size_t k, uint8_t* tiles) { pack(0, w, n, k, tiles); }

void gemmac_int8_tiles_pack_q8g32(const uint8_t* w, size_t n, size_t k, uint8_t* tiles) { pack(1, w, n, k, tiles); }
