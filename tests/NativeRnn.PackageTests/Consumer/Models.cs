using NativeRnn;

namespace Consumer
{
    /// <summary>A character model: token ids in, logits out.</summary>
    [RnnModel]
    [Embedding(20, 6)]
    [Lstm(8)]
    [Dense(20)]
    public partial class TokenModel;

    /// <summary>A sensor model: three features per step in, two outputs out.</summary>
    [RnnModel(InputSize = 3)]
    [Gru(5)]
    [Dense(2)]
    public partial struct SensorModel;
}
