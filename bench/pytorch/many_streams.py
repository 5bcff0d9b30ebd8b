#!/usr/bin/env python3
"""Many streams per call in PyTorch, for a side-by-side run with NativeRnn's ManyStreams benchmark.

One step of B independent streams (nn.LSTMCell / nn.GRUCell on a [B, input] batch, states carried),
and 32 steps of nn.LSTM over a time-major [32, B, input] batch, under torch.no_grad() on one thread.
Prints the median per call in microseconds, one line per case, as Markdown table rows.

Needs only torch. Run it pinned to one core, e.g. `taskset -c 1 python3 many_streams.py`.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

STEPS = 32


def median_us(call, repeats: int) -> float:
    for _ in range(20):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--streams", default="1,8,32,128")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, 1 thread")
    print("| case | streams | median µs per call | ns per stream-step |")
    print("|---|--:|--:|--:|")
    with torch.no_grad():
        for streams in map(int, arguments.streams.split(",")):
            for name, size, cell in (("LSTM (32, 32) step", 32, nn.LSTMCell(32, 32)),
                                     ("LSTM (128, 128) step", 128, nn.LSTMCell(128, 128)),
                                     ("GRU (128, 128) step", 128, nn.GRUCell(128, 128))):
                x = torch.rand(streams, size) * 2 - 1
                state = [torch.zeros(streams, size), torch.zeros(streams, size)]

                def lstm_step():
                    state[0], state[1] = cell(x, (state[0], state[1]))

                def gru_step():
                    state[0] = cell(x, state[0])

                us = median_us(gru_step if isinstance(cell, nn.GRUCell) else lstm_step, arguments.repeats)
                print(f"| {name} | {streams} | {us:.2f} | {us * 1e3 / streams:.1f} |", flush=True)
            lstm = nn.LSTM(128, 128)
            sequence = torch.rand(STEPS, streams, 128) * 2 - 1
            carried = [torch.zeros(1, streams, 128), torch.zeros(1, streams, 128)]

            def forward():
                _, (carried[0], carried[1]) = lstm(sequence, (carried[0], carried[1]))

            us = median_us(forward, max(50, arguments.repeats // 20))
            print(f"| LSTM (128, 128) forward, {STEPS} steps | {streams} | {us:.2f} | {us * 1e3 / (streams * STEPS):.1f} |", flush=True)


if __name__ == "__main__":
    main()
