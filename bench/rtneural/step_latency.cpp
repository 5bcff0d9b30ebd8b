// Step latency of RTNeural's compile-time layers (LSTMLayerT, GRULayerT; Eigen backend), batch 1, float32,
// for the standard shapes of StepLatency: the peer the step targets of the design notes are stated against.
// Each call reads the same input, carries the layer's state and writes its output, as NativeRnn's Step does.
// Prints one line per benchmark: name, median and minimum ns per step over the measured repeats.
#include <RTNeural/RTNeural.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace
{
volatile float sink;

std::vector<std::vector<float>> uniform(std::mt19937& random, int rows, int columns, float bound)
{
    std::uniform_real_distribution<float> u(-bound, bound);
    std::vector<std::vector<float>> m(rows, std::vector<float>(columns));
    for (auto& row : m)
        for (auto& v : row)
            v = u(random);
    return m;
}

// Median and minimum ns per call over `repeats` windows of about 20 ms each, after a warm-up of 0.2 s.
template <typename Step>
void measure(const std::string& name, Step&& step, int repeats)
{
    using clock = std::chrono::steady_clock;
    auto start = clock::now();
    long calls = 0;
    while (clock::now() - start < std::chrono::milliseconds(200))
    {
        for (int i = 0; i < 100; ++i)
            step();
        calls += 100;
    }

    long perWindow = std::max(1L, calls / 10);
    std::vector<double> ns;
    for (int r = 0; r < repeats; ++r)
    {
        auto t0 = clock::now();
        for (long i = 0; i < perWindow; ++i)
            step();
        auto t1 = clock::now();
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / (double)perWindow);
    }

    std::sort(ns.begin(), ns.end());
    std::printf("%-16s %12.1f %12.1f\n", name.c_str(), ns[ns.size() / 2], ns.front());
}

template <int In, int Hidden>
void lstm(std::mt19937& random, int repeats)
{
    // On the heap: the layer holds its weights inline (2 MiB at (256, 256)); C++17 new honours their alignment.
    auto owner = std::make_unique<RTNeural::LSTMLayerT<float, In, Hidden>>();
    auto& layer = *owner;
    float bound = 1.0f / std::sqrt((float)Hidden);
    layer.setWVals(uniform(random, In, 4 * Hidden, bound));
    layer.setUVals(uniform(random, Hidden, 4 * Hidden, bound));
    layer.setBVals(uniform(random, 1, 4 * Hidden, bound)[0]);
    layer.reset();
    Eigen::Matrix<float, In, 1> x;
    for (int i = 0; i < In; ++i)
        x(i) = std::uniform_real_distribution<float>(-1, 1)(random);
    measure("Lstm_" + std::to_string(In) + "x" + std::to_string(Hidden), [&] { layer.forward(x); sink = layer.outs(0); }, repeats);
}

template <int In, int Hidden>
void gru(std::mt19937& random, int repeats)
{
    // On the heap: the layer holds its weights inline (2 MiB at (256, 256)); C++17 new honours their alignment.
    auto owner = std::make_unique<RTNeural::GRULayerT<float, In, Hidden>>();
    auto& layer = *owner;
    float bound = 1.0f / std::sqrt((float)Hidden);
    layer.setWVals(uniform(random, In, 3 * Hidden, bound));
    layer.setUVals(uniform(random, Hidden, 3 * Hidden, bound));
    layer.setBVals(uniform(random, 2, 3 * Hidden, bound));
    layer.reset();
    Eigen::Matrix<float, In, 1> x;
    for (int i = 0; i < In; ++i)
        x(i) = std::uniform_real_distribution<float>(-1, 1)(random);
    measure("Gru_" + std::to_string(In) + "x" + std::to_string(Hidden), [&] { layer.forward(x); sink = layer.outs(0); }, repeats);
}
} // namespace

int main(int argc, char** argv)
{
    int repeats = argc > 1 ? std::atoi(argv[1]) : 15;
    std::mt19937 random(1);
    std::printf("%-16s %12s %12s\n", "benchmark", "median ns", "min ns");
    lstm<1, 16>(random, repeats);
    lstm<16, 16>(random, repeats);
    lstm<32, 32>(random, repeats);
    lstm<64, 64>(random, repeats);
    lstm<128, 128>(random, repeats);
    lstm<256, 256>(random, repeats);
    gru<1, 16>(random, repeats);
    gru<16, 16>(random, repeats);
    gru<32, 32>(random, repeats);
    gru<64, 64>(random, repeats);
    gru<128, 128>(random, repeats);
    gru<256, 256>(random, repeats);
    return 0;
}
