/* Several quantized products over one input, split by output feature ranges. */
#include "kernels.h"

size_t gemmac_q_products_features(const gemmac_q_products* products) {
  size_t total = 0;
  for (size_t i = 0; i < products->count; ++i) total += products->products[i].n;
  return total;
}

void gemmac_q_products_run(void* context, size_t start, size_t count) {
  const gemmac_q_products* p = (const gemmac_q_products*)context;
  const size_t end = start + count;
  size_t first = 0; /* the first feature of product i in the concatenation */
  for (size_t i = 0; i < p->count && first < end; first += p->products[i].n, ++i) {
    const gemmac_q_product* product = &p->products[i];
    const size_t last = first + product->n;
    if (last <= start) continue;
    const size_t begin = start > first ? start - first : 0;
    const size_t stop = (end < last ? end : last) - first;
    p->kernel(product->weight, product->n, p->k, p->x, p->m, begin, stop, product->out + begin, product->n);
  }
}
