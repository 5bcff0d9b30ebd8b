using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests;

/// <summary>BPTT gradients equal central finite differences (double precision, worst relative error ≤ 1e-6).</summary>
public class GradientTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    public static IEnumerable<object[]> Models() => Catalog.Double().Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Models))]
    public void Bptt_matches_finite_differences(string name)
        => Check(Catalog.Double().Single(c => c.Name == name), cases: 8);

    internal void Check(ModelCase<double> modelCase, int cases)
    {
        double worstSeen = 0;
        Prop.ForAll(Harness.Sizes(maxSteps: 6, maxBatch: 3), size =>
        {
            Harness.Problem<double> problem = Harness.Create(modelCase, size.Seed, size.Steps, size.Batch);

            // Finite differences are meaningless across a ReLU kink; keep every unit clear of one.
            double margin = problem.RunReference().MinReluMargin;
            return Prop.When(margin > 1e-3, () =>
            {
                foreach (GradientCheck.Report report in GradientCheck.Run(problem, size.Seed))
                {
                    worstSeen = Math.Max(worstSeen, report.Worst.Error);
                    if (!(report.Worst.Error <= Tolerance))
                    {
                        throw new Xunit.Sdk.XunitException(
                            $"{modelCase}, seed {size.Seed}, {size.Steps} steps × {size.Batch}: ∂L/∂{report.Name} {report.Worst}; tolerance {Tolerance:E0}.");
                    }
                }
            });
        }).Check(Harness.Config(cases).WithMaxRejected(1000));
        output.WriteLine($"{modelCase}: worst relative error {worstSeen:E2} over {cases} cases.");
    }
}
