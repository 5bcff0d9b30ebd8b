namespace NativeRnn.Cli.Models;

// The adding problem: a value and a marker per step, the sum at the end.
[RnnModel(InputSize = 2)][SimpleRnn(64)][Dense(1)] internal sealed partial class AddingRnn;
[RnnModel(InputSize = 2)][Lstm(64)][Dense(1)] internal sealed partial class AddingLstm;
[RnnModel(InputSize = 2)][Gru(64)][Dense(1)] internal sealed partial class AddingGru;

// Forecasting one value ahead from the values so far.
[RnnModel(InputSize = 1)][Gru(64)][Dense(1)] internal sealed partial class ForecastGru;
[RnnModel(InputSize = 1)][Lstm(64)][Dense(1)] internal sealed partial class ForecastLstm;
[RnnModel(InputSize = 1)][SimpleRnn(64)][Dense(1)] internal sealed partial class ForecastRnn;

// Gradient flow: a 32-unit layer of each kind, loss at the last step.
[RnnModel(InputSize = 2)][SimpleRnn(32)][Dense(1)] internal sealed partial class FlowRnn;
[RnnModel(InputSize = 2)][Lstm(32)][Dense(1)] internal sealed partial class FlowLstm;
[RnnModel(InputSize = 2)][Gru(32)][Dense(1)] internal sealed partial class FlowGru;

// Digits to English words: digits 0–9 and pad, start, end (ids 0–12) in; those and 23 characters (ids 13–35) out.
[RnnModel][Embedding(13, 16)][Lstm(128)] internal sealed partial class NumberEncoder;
[RnnModel][Embedding(40, 24)][Lstm(128)][Dense(40)] internal sealed partial class WordDecoder;
