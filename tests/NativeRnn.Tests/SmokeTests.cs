using NativeRnn.Tests.Models;
using Xunit;

namespace NativeRnn.Tests;

public class SmokeTests
{
    [Fact]
    public void Step_runs()
    {
        var model = new Demo(1);
        var state = new Demo.State();
        float[] y = new float[Demo.OutputSize];
        model.Step(ref state, new float[] { 1, 2, 3 }, y);
        Assert.NotEqual(0f, y[0]);
    }
}
