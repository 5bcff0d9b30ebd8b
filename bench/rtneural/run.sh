#!/usr/bin/env bash
# Builds bench/rtneural/step_latency.cpp against an RTNeural checkout (Eigen backend, which RTNeural vendors in
# modules/Eigen) twice, for AVX-512 (x86-64-v4) and AVX2 (x86-64-v3), and runs both pinned to one core.
#   bench/rtneural/run.sh /path/to/RTNeural [repeats]
# Compare with: dotnet run -c Release --project bench/NativeRnn.Benchmarks -- --filter '*StepLatency*'
# (and DOTNET_EnableAVX512=0 for the AVX2 path), pinned to the same core.
set -euo pipefail
rtneural="${1:?usage: run.sh /path/to/RTNeural [repeats]}"
repeats="${2:-15}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
pin=()
if command -v taskset > /dev/null; then pin=(taskset -c 1); fi
# RTNeural accepts an alignment of at most 32 for its Eigen backend.
for target in "avx512 x86-64-v4 32" "avx2 x86-64-v3 32"; do
  read -r name march alignment <<< "$target"
  if [[ "$name" == avx512 ]] && ! grep -qw avx512f /proc/cpuinfo; then
    echo "== $name: skipped, this CPU has no AVX-512"
    continue
  fi
  g++ -std=c++17 -O3 -DNDEBUG -march="$march" -DRTNEURAL_USE_EIGEN=1 -DRTNEURAL_DEFAULT_ALIGNMENT="$alignment" -DEIGEN_STACK_ALLOCATION_LIMIT=0 \
    -I "$rtneural" -I "$rtneural/modules/Eigen" -w "$here/step_latency.cpp" -o "$out/step_$name"
  echo "== RTNeural $(git -C "$rtneural" rev-parse --short HEAD 2> /dev/null || echo '(no git)'), $name build (-march=$march), g++ $(g++ -dumpfullversion)"
  "${pin[@]}" "$out/step_$name" "$repeats"
done
