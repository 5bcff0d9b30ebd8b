namespace NativeRnn.Tests.Training;

// The adding problem: two inputs per step, the sum at the last step.
[RnnModel(InputSize = 2)]
[Lstm(32)]
[Dense(1)]
public partial class AddingLstm;

[RnnModel(InputSize = 2)]
[Gru(32)]
[Dense(1)]
public partial class AddingGru;

[RnnModel(InputSize = 2)]
[SimpleRnn(32)]
[Dense(1)]
public partial class AddingRnn;

[RnnModel(InputSize = 2, ElementType = typeof(double))]
[Lstm(8)]
[Dense(1)]
public partial class AddingLstmD;

// A character model for generated text (the grammar's alphabet fits in 40 ids).
[RnnModel]
[Embedding(40, 16)]
[Lstm(64)]
[Dense(40)]
public partial class CharLstm;

[RnnModel]
[Embedding(40, 16)]
[Gru(48)]
[Dropout(0.1)]
[Dense(40)]
public partial class CharGruDropout;

// Dropout everywhere it can go: on embedded tokens, between layers, before the head.
[RnnModel(ElementType = typeof(double))]
[Embedding(6, 3)]
[Dropout(0.3)]
[Lstm(4)]
[Dropout(0.25)]
[Gru(5, Bidirectional = true)]
[Dropout(0.5)]
[Dense(6)]
public partial class DropoutEverywhereD;

[RnnModel(ElementType = typeof(double))]
[Embedding(6, 3)]
[Lstm(4)]
[Gru(5, Bidirectional = true)]
[Dense(6)]
public partial class DropoutNowhereD;

[RnnModel(InputSize = 3)]
[Dropout(0.2)]
[Lstm(8)]
[Dropout(0.2)]
[SimpleRnn(6)]
[Dense(2)]
public partial class DropoutStreamF;

[RnnModel(InputSize = 3)]
[Lstm(8)]
[SimpleRnn(6)]
[Dense(2)]
public partial class NoDropoutStreamF;

// An encoder–decoder pair for reversing digit strings: digits 0–9, pad 10, start 11, end 12.
[RnnModel]
[Embedding(13, 16)]
[Lstm(64)]
public partial class ReverseEncoder;

[RnnModel]
[Embedding(13, 16)]
[Lstm(64)]
[Dense(13)]
public partial class ReverseDecoder;

// A small joined pair in double for finite differences: two layers of different kinds.
[RnnModel(ElementType = typeof(double))]
[Embedding(6, 3)]
[Lstm(4)]
[Gru(3)]
public partial class TinyEncoderD;

[RnnModel(ElementType = typeof(double))]
[Embedding(6, 3)]
[Lstm(4)]
[Gru(3)]
[Dense(6)]
public partial class TinyDecoderD;
