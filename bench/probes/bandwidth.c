// How fast one core reads a buffer of 16 KiB to 4 MiB with 512-bit loads, passing over it straight (block after block)
// and in alternating block order (every other pass backwards, so its first blocks are the last pass's last ones): the
// floors that bench/README.md compares the steps with, and what the alternating sweep of the step kernels can reuse.
//   gcc -O2 -march=x86-64-v4 bandwidth.c -o bandwidth && taskset -c 1 ./bandwidth
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static __m512 s0, s1, s2, s3;  // four independent sums, so the loads are the limit

static void read_block(const float *a, size_t bytes) {
  for (size_t i = 0; i < bytes / 4; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_load_ps(a + i));
    s1 = _mm512_add_ps(s1, _mm512_load_ps(a + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_load_ps(a + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_load_ps(a + i + 48));
  }
}

int main(void) {
  const size_t totals[] = {16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20};
  const size_t block = 16 << 10;
  printf("buffer     straight    alternating (16 KiB blocks)\n");
  for (int t = 0; t < 9; t++) {
    size_t total = totals[t], blocks = total / block;
    float *a = aligned_alloc(64, total);
    for (size_t i = 0; i < total / 4; i++) a[i] = 1e-9f * i;
    long passes = (long)(2e9 / total);
    double rate[2];
    for (int alternate = 0; alternate < 2; alternate++) {
      double best = 1e9;
      for (int round = 0; round < 5; round++) {
        double start = now();
        for (long pass = 0; pass < passes; pass++) {
          int backwards = alternate && (pass & 1);
          for (size_t j = 0; j < blocks; j++) read_block(a + (backwards ? blocks - 1 - j : j) * block / 4, block);
        }
        double elapsed = now() - start;
        if (elapsed < best) best = elapsed;
      }
      rate[alternate] = (double)total * passes / best / 1e9;
    }
    printf("%5zu KiB  %6.1f GB/s  %6.1f GB/s\n", total >> 10, rate[0], rate[1]);
    free(a);
  }
  float sum[16];
  _mm512_storeu_ps(sum, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  return sum[0] == 12345.0f;  // keeps the sums alive
}
