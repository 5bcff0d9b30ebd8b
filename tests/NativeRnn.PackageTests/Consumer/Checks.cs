using System;

namespace Consumer
{
    /// <summary>Numerical checks of the generated models; each returns the largest difference it saw.</summary>
    internal static class Checks
    {
        private static readonly int[] Tokens = [3, 17, 0, 9, 9, 12, 5, 19, 1];

        public static int Report(string name, double worst, double bound)
        {
            bool ok = worst <= bound;
            Console.WriteLine($"{(ok ? "ok" : "FAIL")} {name} worst {worst:E3} bound {bound:E0}");
            return ok ? 0 : 1;
        }

        /// <summary>Step over tokens against embedding → LSTM (gates i, f, g, o) → dense, written out in double.</summary>
        public static double TokenModelStepAgainstFormula()
        {
            var model = new TokenModel(seed: 7);
            const int V = TokenModel.Vocabulary, E = TokenModel.EmbeddingSize, H = 8;
            double[] embedding = Export(model.ExportTensor, "embedding.weight", V * E);
            double[] wIh = Export(model.ExportTensor, "weight_ih_l0", 4 * H * E);
            double[] wHh = Export(model.ExportTensor, "weight_hh_l0", 4 * H * H);
            double[] bIh = Export(model.ExportTensor, "bias_ih_l0", 4 * H);
            double[] bHh = Export(model.ExportTensor, "bias_hh_l0", 4 * H);
            double[] wHead = Export(model.ExportTensor, "head.weight", V * H);
            double[] bHead = Export(model.ExportTensor, "head.bias", V);

            var state = new TokenModel.State();
            float[] output = new float[TokenModel.OutputSize];
            double[] h = new double[H], c = new double[H], z = new double[4 * H];
            double worst = 0;
            foreach (int token in Tokens)
            {
                model.Step(ref state, token, output);
                for (int row = 0; row < 4 * H; row++)
                {
                    double sum = bIh[row] + bHh[row];
                    for (int k = 0; k < E; k++)
                    {
                        sum += wIh[(row * E) + k] * embedding[(token * E) + k];
                    }

                    for (int k = 0; k < H; k++)
                    {
                        sum += wHh[(row * H) + k] * h[k];
                    }

                    z[row] = sum;
                }

                for (int j = 0; j < H; j++)
                {
                    double i = Sigmoid(z[j]), f = Sigmoid(z[H + j]), g = Math.Tanh(z[(2 * H) + j]), o = Sigmoid(z[(3 * H) + j]);
                    c[j] = (f * c[j]) + (i * g);
                    h[j] = o * Math.Tanh(c[j]);
                }

                worst = Math.Max(worst, WorstAgainstHead(output, h, wHead, bHead));
            }

            return worst;
        }

        /// <summary>The training forward pass over a batch of one against the streaming steps.</summary>
        public static double TokenModelForwardAgainstStep()
        {
            var model = new TokenModel(seed: 3);
            var tape = new TokenModel.Tape(maxSteps: Tokens.Length);
            float[] sequence = new float[Tokens.Length * TokenModel.OutputSize];
            model.Forward(tape, Tokens, sequence);

            var state = new TokenModel.State();
            float[] output = new float[TokenModel.OutputSize];
            double worst = 0;
            for (int t = 0; t < Tokens.Length; t++)
            {
                model.Step(ref state, Tokens[t], output);
                for (int k = 0; k < output.Length; k++)
                {
                    worst = Math.Max(worst, Math.Abs(output[k] - sequence[(t * TokenModel.OutputSize) + k]));
                }
            }

            return worst;
        }

        /// <summary>Step against GRU (reset after, gates r, z, n; h' = (1 − z) ⊙ n + z ⊙ h) → dense, in double.</summary>
        public static double SensorStepAgainstFormula()
        {
            var model = new SensorModel(seed: 11);
            const int I = SensorModel.InputSize, H = 5, O = SensorModel.OutputSize;
            double[] wIh = Export(model.ExportTensor, "weight_ih_l0", 3 * H * I);
            double[] wHh = Export(model.ExportTensor, "weight_hh_l0", 3 * H * H);
            double[] bIh = Export(model.ExportTensor, "bias_ih_l0", 3 * H);
            double[] bHh = Export(model.ExportTensor, "bias_hh_l0", 3 * H);
            double[] wHead = Export(model.ExportTensor, "head.weight", O * H);
            double[] bHead = Export(model.ExportTensor, "head.bias", O);

            var state = new SensorModel.State();
            float[] output = new float[O];
            double[] h = new double[H], zx = new double[3 * H], zh = new double[3 * H];
            double worst = 0;
            for (int t = 0; t < 12; t++)
            {
                float[] x = [MathF.Sin(t), MathF.Cos(0.5f * t), 0.1f * t];
                model.Step(ref state, x, output);
                for (int row = 0; row < 3 * H; row++)
                {
                    zx[row] = bIh[row];
                    zh[row] = bHh[row];
                    for (int k = 0; k < I; k++)
                    {
                        zx[row] += wIh[(row * I) + k] * x[k];
                    }

                    for (int k = 0; k < H; k++)
                    {
                        zh[row] += wHh[(row * H) + k] * h[k];
                    }
                }

                for (int j = 0; j < H; j++)
                {
                    double r = Sigmoid(zx[j] + zh[j]);
                    double z = Sigmoid(zx[H + j] + zh[H + j]);
                    double n = Math.Tanh(zx[(2 * H) + j] + (r * zh[(2 * H) + j]));
                    h[j] = ((1 - z) * n) + (z * h[j]);
                }

                worst = Math.Max(worst, WorstAgainstHead(output, h, wHead, bHead));
            }

            return worst;
        }

        /// <summary>Streaming Forward over a sequence against the same inputs one Step at a time.</summary>
        public static double SensorForwardAgainstStep()
        {
            var model = new SensorModel(seed: 5);
            const int Steps = 20;
            float[] inputs = new float[Steps * SensorModel.InputSize];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = MathF.Sin(0.37f * i);
            }

            var whole = new SensorModel.State();
            float[] sequence = new float[Steps * SensorModel.OutputSize];
            model.Forward(ref whole, inputs, sequence);

            var stepwise = new SensorModel.State();
            float[] output = new float[SensorModel.OutputSize];
            double worst = 0;
            for (int t = 0; t < Steps; t++)
            {
                model.Step(ref stepwise, inputs.AsSpan(t * SensorModel.InputSize, SensorModel.InputSize), output);
                for (int k = 0; k < output.Length; k++)
                {
                    worst = Math.Max(worst, Math.Abs(output[k] - sequence[(t * SensorModel.OutputSize) + k]));
                }
            }

            return worst;
        }

        /// <summary>
        /// Backward's gradient of L = Σ y against a central difference of L in one parameter of each tensor,
        /// relative to the largest gradient (float, so the bound is loose).
        /// </summary>
        public static double SensorGradientAgainstDifference()
        {
            var model = new SensorModel(seed: 2);
            const int Steps = 6;
            float[] inputs = new float[Steps * SensorModel.InputSize];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = MathF.Cos(0.91f * i);
            }

            var tape = new SensorModel.Tape(maxSteps: Steps);
            float[] outputs = new float[Steps * SensorModel.OutputSize];
            float[] ones = new float[outputs.Length];
            Array.Fill(ones, 1f);
            float[] gradients = new float[SensorModel.ParameterCount];
            model.Forward(tape, inputs, outputs);
            model.Backward(tape, ones, gradients);

            double scale = 0;
            foreach (float g in gradients)
            {
                scale = Math.Max(scale, Math.Abs(g));
            }

            double worst = 0;
            Span<float> parameters = model.Parameters;
            for (int p = 0; p < parameters.Length; p += 7)
            {
                float saved = parameters[p];
                const float Delta = 1e-2f;
                parameters[p] = saved + Delta;
                double plus = Loss(model, tape, inputs, outputs);
                parameters[p] = saved - Delta;
                double minus = Loss(model, tape, inputs, outputs);
                parameters[p] = saved;
                double difference = (plus - minus) / (2 * Delta);
                worst = Math.Max(worst, Math.Abs(difference - gradients[p]) / scale);
            }

            return worst;
        }

        private static double Loss(SensorModel model, SensorModel.Tape tape, float[] inputs, float[] outputs)
        {
            model.Forward(tape, inputs, outputs);
            double sum = 0;
            foreach (float y in outputs)
            {
                sum += y;
            }

            return sum;
        }

        private static double WorstAgainstHead(float[] output, double[] h, double[] weight, double[] bias)
        {
            double worst = 0;
            for (int k = 0; k < bias.Length; k++)
            {
                double y = bias[k];
                for (int j = 0; j < h.Length; j++)
                {
                    y += weight[(k * h.Length) + j] * h[j];
                }

                worst = Math.Max(worst, Math.Abs(output[k] - y));
            }

            return worst;
        }

        private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

        private static double[] Export(Exporter export, string name, int length)
        {
            float[] values = new float[length];
            export(name, values);
            return Array.ConvertAll(values, v => (double)v);
        }

        private delegate void Exporter(string name, Span<float> destination);
    }
}
