using NativeRnn;

namespace NativeRnn.Tests.Models;

[RnnModel(InputSize = 3)]
[SimpleRnn(8)]
[SimpleRnn(5, Activation = Activation.Relu)]
[Dense(2)]
public partial class Demo;
