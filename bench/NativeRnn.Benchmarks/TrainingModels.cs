using NativeRnn;

namespace NativeRnn.Benchmarks;

// DESIGN.md §5 training workload: Embedding(65, 64) → one recurrent layer → Dense(65).

[RnnModel][Embedding(65, 64)][Lstm(64)][Dense(65)] public sealed partial class CharLstm64;
[RnnModel][Embedding(65, 64)][Lstm(128)][Dense(65)] public sealed partial class CharLstm128;
[RnnModel][Embedding(65, 64)][Lstm(256)][Dense(65)] public sealed partial class CharLstm256;
[RnnModel][Embedding(65, 64)][Gru(64)][Dense(65)] public sealed partial class CharGru64;
[RnnModel][Embedding(65, 64)][Gru(128)][Dense(65)] public sealed partial class CharGru128;
[RnnModel][Embedding(65, 64)][Gru(256)][Dense(65)] public sealed partial class CharGru256;
[RnnModel][Embedding(65, 64)][SimpleRnn(64)][Dense(65)] public sealed partial class CharRnn64;
[RnnModel][Embedding(65, 64)][SimpleRnn(128)][Dense(65)] public sealed partial class CharRnn128;
[RnnModel][Embedding(65, 64)][SimpleRnn(256)][Dense(65)] public sealed partial class CharRnn256;
