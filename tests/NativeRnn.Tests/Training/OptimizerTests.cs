using System;
using System.Numerics;
using NativeRnn.Tests.Helpers;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Training;

/// <summary>
/// Every optimiser's first steps against a scalar reference written from its formula (bit for bit: the optimisers use only
/// exactly rounded operations, so every vector width must agree), against numbers worked by hand, and its guard.
/// </summary>
public class OptimizerTests
{
    /// <summary>37 elements: every vector width and a scalar tail.</summary>
    private const int Length = 37;

    private static (T[] Parameters, T[][] Gradients) Problem<T>(int steps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] parameters = ModelTools.Convert<T>(ModelTools.Uniform(1, 1, Length, 2));
        var gradients = new T[steps][];
        for (int s = 0; s < steps; s++)
        {
            gradients[s] = ModelTools.Convert<T>(ModelTools.Uniform(2, (ulong)s, Length, 3));
        }

        return (parameters, gradients);
    }

    private static void MatchesReference<T>(Optimizer<T> optimizer, Func<T[], T[], int, T[][], T[]> reference, int blocks)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        (T[] parameters, T[][] gradients) = Problem<T>(5);
        T[] expected = (T[])parameters.Clone();
        var state = new T[blocks][];
        for (int b = 0; b < blocks; b++)
        {
            state[b] = new T[Length];
        }

        for (int s = 0; s < gradients.Length; s++)
        {
            optimizer.Step(parameters, gradients[s]);
            expected = reference(expected, gradients[s], s + 1, state);
            Assert.Equal(expected, parameters);
            for (int b = 0; b < blocks; b++)
            {
                Assert.Equal(state[b], optimizer.StateBlock(b).ToArray());
            }
        }

        Assert.Equal(gradients.Length, optimizer.StepCount);
    }

    private static T C<T>(double value)
        where T : IFloatingPointIeee754<T>
        => T.CreateTruncating(value);

    [Fact]
    public void Sgd_with_momentum_and_nesterov_matches_its_formula_in_float_and_double()
    {
        Sgd<float>(momentum: 0, nesterov: false);
        Sgd<float>(momentum: 0.9, nesterov: false);
        Sgd<float>(momentum: 0.9, nesterov: true);
        Sgd<double>(momentum: 0.8, nesterov: true);
        Sgd<double>(momentum: 0, nesterov: false);

        static void Sgd<T>(double momentum, bool nesterov)
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            T rate = C<T>(0.1), decay = C<T>(0.01), mu = C<T>(momentum);
            MatchesReference<T>(
                new Sgd<T>(Length, 0.1, momentum, nesterov, weightDecay: 0.01),
                (p, g, step, state) =>
                {
                    T[] next = new T[Length];
                    for (int i = 0; i < Length; i++)
                    {
                        T d = g[i] + (decay * p[i]);
                        if (momentum > 0)
                        {
                            state[0][i] = step == 1 ? d : (mu * state[0][i]) + (T.One * d);
                            d = nesterov ? d + (mu * state[0][i]) : state[0][i];
                        }

                        next[i] = p[i] - (rate * d);
                    }

                    return next;
                },
                momentum > 0 ? 1 : 0);
        }
    }

    [Fact]
    public void Adam_and_adamw_match_their_formulas_in_float_and_double()
    {
        Adam<float>(decoupled: false);
        Adam<float>(decoupled: true);
        Adam<double>(decoupled: false);
        Adam<double>(decoupled: true);

        static void Adam<T>(bool decoupled)
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            double lr = 3e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.05;
            Optimizer<T> optimizer = decoupled ? new AdamW<T>(Length, lr, b1, b2, eps, wd) : new Adam<T>(Length, lr, b1, b2, eps, wd);
            MatchesReference<T>(
                optimizer,
                (p, g, step, state) =>
                {
                    T[] next = new T[Length];
                    T rate = C<T>(lr), decay = C<T>(wd);
                    T stepSize = rate / C<T>(1 - Math.Pow(b1, step));
                    T root2 = C<T>(Math.Sqrt(1 - Math.Pow(b2, step)));
                    for (int i = 0; i < Length; i++)
                    {
                        T theta = decoupled ? p[i] * (T.One - (rate * decay)) : p[i] * T.One;
                        T grad = decoupled ? g[i] + (T.Zero * theta) : g[i] + (decay * theta);
                        T m = state[0][i] = (C<T>(b1) * state[0][i]) + (C<T>(1 - b1) * grad);
                        T v = state[1][i] = (C<T>(b2) * state[1][i]) + (C<T>(1 - b2) * (grad * grad));
                        next[i] = theta - (stepSize * (m / ((T.Sqrt(v) / root2) + C<T>(eps))));
                    }

                    return next;
                },
                2);
        }
    }

    [Fact]
    public void Rmsprop_plain_centred_and_with_momentum_matches_its_formula()
    {
        RmsProp<float>(momentum: 0, centered: false);
        RmsProp<float>(momentum: 0.5, centered: false);
        RmsProp<double>(momentum: 0, centered: true);
        RmsProp<double>(momentum: 0.7, centered: true);

        static void RmsProp<T>(double momentum, bool centered)
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            double lr = 1e-2, alpha = 0.99, eps = 1e-8, wd = 0.02;
            int blocks = 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0);
            MatchesReference<T>(
                new RmsProp<T>(Length, lr, alpha, eps, wd, momentum, centered),
                (p, g, step, state) =>
                {
                    T[] next = new T[Length];
                    for (int i = 0; i < Length; i++)
                    {
                        T grad = g[i] + (C<T>(wd) * p[i]);
                        T v = state[0][i] = (C<T>(alpha) * state[0][i]) + (C<T>(1 - alpha) * (grad * grad));
                        T variance = v;
                        if (centered)
                        {
                            state[1][i] = (C<T>(alpha) * state[1][i]) + (C<T>(1 - alpha) * grad);
                            variance = v - (state[1][i] * state[1][i]);
                        }

                        T update = grad / (T.Sqrt(variance) + C<T>(eps));
                        if (momentum > 0)
                        {
                            int b = centered ? 2 : 1;
                            update = state[b][i] = (C<T>(momentum) * state[b][i]) + update;
                        }

                        next[i] = p[i] - (C<T>(lr) * update);
                    }

                    return next;
                },
                blocks);
        }
    }

    [Fact]
    public void Adagrad_with_decay_and_an_initial_accumulator_matches_its_formula()
    {
        Adagrad<float>();
        Adagrad<double>();

        static void Adagrad<T>()
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            double lr = 0.05, lrDecay = 0.1, wd = 0.01, initial = 0.2, eps = 1e-10;
            var optimizer = new Adagrad<T>(Length, lr, lrDecay, wd, initial, eps);
            Assert.All(optimizer.State.ToArray(), s => Assert.Equal(C<T>(initial), s));
            (T[] parameters, T[][] gradients) = Problem<T>(5);
            T[] expected = (T[])parameters.Clone();
            T[] sum = new T[Length];
            Array.Fill(sum, C<T>(initial));
            for (int s = 0; s < gradients.Length; s++)
            {
                optimizer.Step(parameters, gradients[s]);
                T rate = C<T>(lr / (1 + (s * lrDecay)));
                for (int i = 0; i < Length; i++)
                {
                    T grad = gradients[s][i] + (C<T>(wd) * expected[i]);
                    sum[i] += grad * grad;
                    expected[i] -= rate * (grad / (T.Sqrt(sum[i]) + C<T>(eps)));
                }

                Assert.Equal(expected, parameters);
                Assert.Equal(sum, optimizer.State.ToArray());
            }
        }
    }

    [Fact]
    public void First_steps_equal_numbers_worked_by_hand()
    {
        // SGD, μ = 0.9: b = 0.5, θ = 1 − 0.1·0.5 = 0.95; then b = 0.9·0.5 + 0.5 = 0.95, θ = 0.95 − 0.095 = 0.855.
        double[] theta = [1.0];
        var sgd = new Sgd<double>(1, 0.1, momentum: 0.9);
        sgd.Step(theta, [0.5]);
        Assert.Equal(0.95, theta[0], 1e-15);
        sgd.Step(theta, [0.5]);
        Assert.Equal(0.855, theta[0], 1e-15);

        // Nesterov: b = 0.5, g' = 0.5 + 0.9·0.5 = 0.95, θ = 1 − 0.095 = 0.905.
        theta = [1.0];
        new Sgd<double>(1, 0.1, momentum: 0.9, nesterov: true).Step(theta, [0.5]);
        Assert.Equal(0.905, theta[0], 1e-15);

        // Adam step 1: m̂ = g, v̂ = g², so θ moves by η·g/(|g| + ε) = η·(1 − ε/|g|) for g = 0.5: 1 − 1e-3·(0.5/(0.5 + 1e-8)).
        theta = [1.0];
        var adam = new Adam<double>(1, 1e-3);
        adam.Step(theta, [0.5]);
        Assert.Equal(1 - (1e-3 * 0.5 / (0.5 + 1e-8)), theta[0], 1e-15);
        Assert.Equal(0.05, adam.StateBlock(0)[0], 1e-15);     // m = 0.1·0.5
        Assert.Equal(0.00025, adam.StateBlock(1)[0], 1e-15);  // v = 0.001·0.25

        // AdamW with λ = 0.1, η = 0.01: θ = 1·(1 − 0.001) = 0.999 first, then the Adam step of 0.01·(1 − 2e-8).
        theta = [1.0];
        new AdamW<double>(1, 0.01, weightDecay: 0.1).Step(theta, [0.5]);
        Assert.Equal(0.999 - (0.01 * 0.5 / (0.5 + 1e-8)), theta[0], 1e-15);

        // RMSprop, α = 0.99: v = 0.01·4 = 0.04, θ = 1 − 0.01·2/(0.2 + 1e-8).
        theta = [1.0];
        new RmsProp<double>(1, 0.01).Step(theta, [2.0]);
        Assert.Equal(1 - (0.01 * 2 / (0.2 + 1e-8)), theta[0], 1e-15);

        // Adagrad: s = 4, θ = 1 − 0.01·2/(2 + 1e-10).
        theta = [1.0];
        new Adagrad<double>(1, 0.01).Step(theta, [2.0]);
        Assert.Equal(1 - (0.01 * 2 / (2 + 1e-10)), theta[0], 1e-15);
    }

    [Fact]
    public void A_refused_step_changes_neither_parameters_nor_state_nor_the_step_count()
    {
        foreach (Optimizer<float> optimizer in new Optimizer<float>[]
        {
            new Sgd<float>(Length, 0.1, momentum: 0.9),
            new Adam<float>(Length),
            new AdamW<float>(Length),
            new RmsProp<float>(Length, momentum: 0.5, centered: true),
            new Adagrad<float>(Length),
        })
        {
            (float[] parameters, float[][] gradients) = Problem<float>(2);
            optimizer.Step(parameters, gradients[0]);
            float[] parametersBefore = (float[])parameters.Clone();
            float[] stateBefore = optimizer.State.ToArray();

            float[] poisoned = (float[])gradients[1].Clone();
            poisoned[Length - 1] = float.NaN;
            Assert.False(optimizer.TryStep(parameters, poisoned));
            poisoned[Length - 1] = float.PositiveInfinity;
            Assert.Throws<ArgumentException>(() => optimizer.Step(parameters, poisoned));

            Assert.Equal(parametersBefore, parameters);
            Assert.Equal(stateBefore, optimizer.State.ToArray());
            Assert.Equal(1, optimizer.StepCount);
        }

        // An update that overflows: SGD at η = 1e38 on a gradient of 10.
        float[] theta = [1, 2, 3];
        var sgd = new Sgd<float>(3, 1e38);
        Assert.False(sgd.TryStep(theta, [10, 0, 0]));
        Assert.Equal([1f, 2f, 3f], theta);
        Assert.Equal(0, sgd.StepCount);
    }

    [Fact]
    public void Hyper_parameters_are_checked_in_the_element_type()
    {
        // 1e-50 is a fine double but 0 in float; 1e39 overflows float.
        ArgumentOutOfRangeException tiny = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<float>(3, 1e-50));
        Assert.Contains("0 in Single", tiny.Message, StringComparison.Ordinal);
        ArgumentOutOfRangeException huge = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>(3, 1e39));
        Assert.Contains("overflows Single", huge.Message, StringComparison.Ordinal);
        _ = new Sgd<double>(3, 1e-50);
        _ = new Sgd<double>(3, 1e39);
        var adam = new Adam<float>(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = 1e-46);
        Assert.Equal(1e-3, adam.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>(3, beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp<double>(3, epsilon: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad<double>(3, weightDecay: -1));
        Assert.Throws<ArgumentException>(() => new Sgd<double>(3, 0.1, momentum: 0, nesterov: true));
    }

    [Fact]
    public void Reset_forgets_the_state()
    {
        var adam = new Adam<double>(4);
        double[] theta = [1, 2, 3, 4];
        adam.Step(theta, [1, 1, 1, 1]);
        adam.Reset();
        Assert.Equal(0, adam.StepCount);
        Assert.All(adam.State.ToArray(), s => Assert.Equal(0, s));
        Assert.Equal(8, adam.State.Length);
    }

    [Fact]
    public void Schedules_give_their_formula_at_chosen_steps()
    {
        Assert.Equal(0.3, new ConstantSchedule(0.3).LearningRate(12345));

        var stepDecay = new StepDecaySchedule(1.0, stepSize: 10, gamma: 0.5);
        Assert.Equal(1.0, stepDecay.LearningRate(0));
        Assert.Equal(1.0, stepDecay.LearningRate(9));
        Assert.Equal(0.5, stepDecay.LearningRate(10));
        Assert.Equal(0.125, stepDecay.LearningRate(35));

        var exponential = new ExponentialSchedule(2.0, 0.9);
        Assert.Equal(2.0, exponential.LearningRate(0));
        Assert.Equal(2.0 * Math.Pow(0.9, 7), exponential.LearningRate(7), 1e-15);

        var cosine = new CosineSchedule(1e-2, totalSteps: 110, warmupSteps: 10, minimumRate: 1e-4);
        Assert.Equal(1e-3, cosine.LearningRate(0), 1e-18);          // (0 + 1)/10 of the peak
        Assert.Equal(5e-3, cosine.LearningRate(4), 1e-18);
        Assert.Equal(1e-2, cosine.LearningRate(10), 1e-18);         // the peak, cos 0
        Assert.Equal(1e-4 + (0.5 * (1e-2 - 1e-4)), cosine.LearningRate(60), 1e-15); // halfway, cos(π/2) = 0
        Assert.Equal(1e-4 + (0.5 * (1e-2 - 1e-4) * (1 + Math.Cos(Math.PI * 0.25))), cosine.LearningRate(35), 1e-15);
        Assert.Equal(1e-4, cosine.LearningRate(110));
        Assert.Equal(1e-4, cosine.LearningRate(1_000_000));

        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(1e-2, totalSteps: 10, warmupSteps: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(1, 10, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => exponential.LearningRate(-1));
    }
}
