// Can the input projection of a streaming Forward hide under its recurrent product? The recurrent product of an
// LSTM (128, 128) step streams W_hh (128 × 512 floats, 256 KiB, panel-major like NativeRnn's) from L2; the projection
// of the chunk is as many FMAs again on data that stays in L1. This times the two apart and fused into one loop
// (every row of a W_hh panel also does one depth step of a projection tile): if the fused loop takes about the time of
// the slower part rather than their sum, a fused kernel would take the projection off the sequence's per-step cost.
//   gcc -O2 -march=x86-64-v4 overlap.c -o overlap && taskset -c 1 ./overlap
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define H 128
#define G (4 * H)
#define PANELS (G / 64)

static float *w, *h, *b, *a, *z, *c;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// z = W_hh h, panel by panel: four accumulators of 16 columns, the rows in order (the shape of the panel kernels).
static void recurrent(void) {
  for (int q = 0; q < PANELS; q++) {
    const float *panel = w + q * H * 64;
    __m512 z0 = _mm512_setzero_ps(), z1 = z0, z2 = z0, z3 = z0;
    for (int r = 0; r < H; r++) {
      __m512 x = _mm512_set1_ps(h[r]);
      const float *row = panel + r * 64;
      z0 = _mm512_fmadd_ps(x, _mm512_load_ps(row), z0);
      z1 = _mm512_fmadd_ps(x, _mm512_load_ps(row + 16), z1);
      z2 = _mm512_fmadd_ps(x, _mm512_load_ps(row + 32), z2);
      z3 = _mm512_fmadd_ps(x, _mm512_load_ps(row + 48), z3);
    }
    _mm512_store_ps(z + q * 64, z0), _mm512_store_ps(z + q * 64 + 16, z1);
    _mm512_store_ps(z + q * 64 + 32, z2), _mm512_store_ps(z + q * 64 + 48, z3);
  }
}

// As many FMAs of a 2 × 2-vector projection tile, its operands in L1 (a 4 KiB block of W_ih, 16 KiB of inputs).
static void projection(void) {
  for (int q = 0; q < PANELS; q++) {
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
    for (int r = 0; r < H; r++) {
      const float *br = b + (r & 31) * 32;
      __m512 b0 = _mm512_load_ps(br), b1 = _mm512_load_ps(br + 16);
      int i = (q * H + r) * 2 & 4095;
      __m512 x0 = _mm512_set1_ps(a[i]), x1 = _mm512_set1_ps(a[i + 1]);
      c0 = _mm512_fmadd_ps(x0, b0, c0), c1 = _mm512_fmadd_ps(x0, b1, c1);
      c2 = _mm512_fmadd_ps(x1, b0, c2), c3 = _mm512_fmadd_ps(x1, b1, c3);
    }
    _mm512_store_ps(c + q * 64, c0), _mm512_store_ps(c + q * 64 + 16, c1);
    _mm512_store_ps(c + q * 64 + 32, c2), _mm512_store_ps(c + q * 64 + 48, c3);
  }
}

// Both in one loop: each row of a W_hh panel, then one depth step of the projection tile.
static void fused(void) {
  for (int q = 0; q < PANELS; q++) {
    const float *panel = w + q * H * 64;
    __m512 z0 = _mm512_setzero_ps(), z1 = z0, z2 = z0, z3 = z0, c0 = z0, c1 = z0, c2 = z0, c3 = z0;
    for (int r = 0; r < H; r++) {
      __m512 x = _mm512_set1_ps(h[r]);
      const float *row = panel + r * 64;
      z0 = _mm512_fmadd_ps(x, _mm512_load_ps(row), z0);
      z1 = _mm512_fmadd_ps(x, _mm512_load_ps(row + 16), z1);
      z2 = _mm512_fmadd_ps(x, _mm512_load_ps(row + 32), z2);
      z3 = _mm512_fmadd_ps(x, _mm512_load_ps(row + 48), z3);
      const float *br = b + (r & 31) * 32;
      __m512 b0 = _mm512_load_ps(br), b1 = _mm512_load_ps(br + 16);
      int i = (q * H + r) * 2 & 4095;
      __m512 x0 = _mm512_set1_ps(a[i]), x1 = _mm512_set1_ps(a[i + 1]);
      c0 = _mm512_fmadd_ps(x0, b0, c0), c1 = _mm512_fmadd_ps(x0, b1, c1);
      c2 = _mm512_fmadd_ps(x1, b0, c2), c3 = _mm512_fmadd_ps(x1, b1, c3);
    }
    _mm512_store_ps(z + q * 64, z0), _mm512_store_ps(z + q * 64 + 16, z1);
    _mm512_store_ps(z + q * 64 + 32, z2), _mm512_store_ps(z + q * 64 + 48, z3);
    _mm512_store_ps(c + q * 64, c0), _mm512_store_ps(c + q * 64 + 16, c1);
    _mm512_store_ps(c + q * 64 + 32, c2), _mm512_store_ps(c + q * 64 + 48, c3);
  }
}

int main(void) {
  w = aligned_alloc(64, H * G * 4), h = aligned_alloc(64, H * 4), b = aligned_alloc(64, 32 * 32 * 4);
  a = aligned_alloc(64, 4096 * 4), z = aligned_alloc(64, G * 4), c = aligned_alloc(64, G * 4);
  for (int i = 0; i < H * G; i++) w[i] = 1e-6f * (i % 1000);
  for (int i = 0; i < H; i++) h[i] = 0.01f * i;
  for (int i = 0; i < 32 * 32; i++) b[i] = 1e-3f * i;
  for (int i = 0; i < 4096; i++) a[i] = 1e-4f * i;
  void (*parts[])(void) = {recurrent, projection, fused};
  const char *names[] = {"recurrent product (W_hh from L2)", "projection FMAs (L1)", "both, fused"};
  const int steps = 20000;
  for (int m = 0; m < 3; m++) {
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
      double start = now();
      for (int s = 0; s < steps; s++) {
        parts[m]();
        h[s & (H - 1)] += 1e-9f * (z[s & (G - 1)] + c[s & (G - 1)]);  // each step depends on the last, as in a sequence
      }
      double elapsed = (now() - start) / steps;
      if (elapsed < best) best = elapsed;
    }
    printf("%-34s %6.0f ns a step\n", names[m], best * 1e9);
  }
  return 0;
}
