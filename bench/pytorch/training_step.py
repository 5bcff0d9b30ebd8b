#!/usr/bin/env python3
"""The standard training step of NativeRnn's benchmarks (DESIGN.md §5), in PyTorch, for a side-by-side run.

Embedding(65, 64) -> one recurrent layer (LSTM, GRU or tanh RNN; hidden 64, 128, 256) -> Linear(65), 64 steps of
32 sequences (time-major), mean softmax cross-entropy, clip_grad_norm_(5), then SGD(0.1) or Adam(1e-3), on 1 and 2
threads. Prints the median of repeated steps in milliseconds, one line per case, as Markdown table rows.

Needs only torch. Run it pinned to the cores it may use, e.g. `taskset -c 0,1 python3 training_step.py`.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

STEPS, BATCH, VOCABULARY, EMBEDDING = 64, 32, 65, 64


class CharModel(nn.Module):
    def __init__(self, cell: str, hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, EMBEDDING)
        layer = {"Lstm": nn.LSTM, "Gru": nn.GRU, "Rnn": nn.RNN}[cell]
        self.rnn = layer(EMBEDDING, hidden)
        self.head = nn.Linear(hidden, VOCABULARY)

    def forward(self, tokens):
        output, _ = self.rnn(self.embedding(tokens))
        return self.head(output)


def measure(cell: str, hidden: int, optimizer_name: str, threads: int, repeats: int) -> float:
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = CharModel(cell, hidden)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1) if optimizer_name == "Sgd" else torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = torch.randint(0, VOCABULARY, (STEPS, BATCH))
    targets = torch.randint(0, VOCABULARY, (STEPS, BATCH))
    loss_function = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=False)
        logits = model(tokens)
        loss = loss_function(logits.reshape(-1, VOCABULARY), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()

    for _ in range(5):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--cells", default="Lstm,Gru,Rnn")
    parser.add_argument("--hidden", default="64,128,256")
    parser.add_argument("--optimizers", default="Sgd,Adam")
    parser.add_argument("--threads", default="1,2")
    arguments = parser.parse_args()
    print(f"torch {torch.__version__}, BLAS: {torch.__config__.show().count('openblas') and 'OpenBLAS' or 'see torch.__config__.show()'}")
    print("| cell | hidden | optimiser | threads | median ms |")
    print("|---|--:|---|--:|--:|")
    for cell in arguments.cells.split(","):
        for hidden in map(int, arguments.hidden.split(",")):
            for optimizer_name in arguments.optimizers.split(","):
                for threads in map(int, arguments.threads.split(",")):
                    ms = measure(cell, hidden, optimizer_name, threads, arguments.repeats)
                    print(f"| {cell} | {hidden} | {optimizer_name} | {threads} | {ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
