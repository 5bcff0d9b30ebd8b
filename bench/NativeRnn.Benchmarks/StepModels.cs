using NativeRnn;

namespace NativeRnn.Benchmarks;

// The standard workloads of DESIGN.md §5: one layer, float32, no head.

[RnnModel(InputSize = 1)][Lstm(16)] public sealed partial class Lstm1x16;
[RnnModel(InputSize = 16)][Lstm(16)] public sealed partial class Lstm16x16;
[RnnModel(InputSize = 32)][Lstm(32)] public sealed partial class Lstm32x32;
[RnnModel(InputSize = 64)][Lstm(64)] public sealed partial class Lstm64x64;
[RnnModel(InputSize = 128)][Lstm(128)] public sealed partial class Lstm128x128;
[RnnModel(InputSize = 256)][Lstm(256)] public sealed partial class Lstm256x256;

[RnnModel(InputSize = 1)][Gru(16)] public sealed partial class Gru1x16;
[RnnModel(InputSize = 16)][Gru(16)] public sealed partial class Gru16x16;
[RnnModel(InputSize = 32)][Gru(32)] public sealed partial class Gru32x32;
[RnnModel(InputSize = 64)][Gru(64)] public sealed partial class Gru64x64;
[RnnModel(InputSize = 128)][Gru(128)] public sealed partial class Gru128x128;
[RnnModel(InputSize = 256)][Gru(256)] public sealed partial class Gru256x256;
[RnnModel(InputSize = 16)][Gru(16, ResetAfter = false)] public sealed partial class GruResetBefore16x16;
[RnnModel(InputSize = 64)][Gru(64, ResetAfter = false)] public sealed partial class GruResetBefore64x64;
[RnnModel(InputSize = 256)][Gru(256, ResetAfter = false)] public sealed partial class GruResetBefore256x256;

[RnnModel(InputSize = 1)][SimpleRnn(16)] public sealed partial class Rnn1x16;
[RnnModel(InputSize = 16)][SimpleRnn(16)] public sealed partial class Rnn16x16;
[RnnModel(InputSize = 32)][SimpleRnn(32)] public sealed partial class Rnn32x32;
[RnnModel(InputSize = 64)][SimpleRnn(64)] public sealed partial class Rnn64x64;
[RnnModel(InputSize = 128)][SimpleRnn(128)] public sealed partial class Rnn128x128;
[RnnModel(InputSize = 256)][SimpleRnn(256)] public sealed partial class Rnn256x256;
