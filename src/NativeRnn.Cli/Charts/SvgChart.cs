using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security;
using System.Text;

namespace NativeRnn.Cli.Charts;

/// <summary>
/// A line chart written as a standalone SVG file that any browser opens: axes with round ticks (a logarithmic y axis
/// for quantities that span orders of magnitude), one polyline per series, a legend. Each series also carries its
/// values in a <c>data-points</c> attribute, so the chart can be read back by a program (the tests do).
/// </summary>
internal sealed class SvgChart(string title, string xLabel, string yLabel, bool logarithmicY = false)
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
    private readonly List<(string Name, (double X, double Y)[] Points, bool Dashed)> _series = [];

    public string Title { get; } = title;

    public IReadOnlyList<(string Name, (double X, double Y)[] Points, bool Dashed)> Series => _series;

    /// <summary>Adds a series; points with a non-finite value (or, on a log axis, a value ≤ 0) are left out.</summary>
    public SvgChart Add(string name, IEnumerable<(double X, double Y)> points, bool dashed = false)
    {
        (double X, double Y)[] kept = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logarithmicY || p.Y > 0)).ToArray();
        _series.Add((name, kept, dashed));
        return this;
    }

    public void Save(string path) => File.WriteAllText(path, Render(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    public string Render(int width = 860, int height = 480)
    {
        const int left = 80, right = 180, top = 50, bottom = 60;
        double plotWidth = width - left - right, plotHeight = height - top - bottom;
        var all = _series.SelectMany(s => s.Points).ToArray();
        double xMin = all.Length > 0 ? all.Min(p => p.X) : 0, xMax = all.Length > 0 ? all.Max(p => p.X) : 1;
        double yMin = all.Length > 0 ? all.Min(p => p.Y) : 0, yMax = all.Length > 0 ? all.Max(p => p.Y) : 1;
        if (xMax <= xMin)
        {
            xMax = xMin + 1;
        }

        Func<double, double> yScale;
        List<(double Value, string Label)> yTicks;
        if (logarithmicY)
        {
            double low = Math.Floor(Math.Log10(yMin)), high = Math.Ceiling(Math.Log10(yMax));
            if (high <= low)
            {
                high = low + 1;
            }

            yScale = y => top + (plotHeight * (1 - ((Math.Log10(y) - low) / (high - low))));
            int stride = Math.Max(1, (int)Math.Ceiling((high - low) / 8));
            yTicks = [];
            for (double e = low; e <= high; e += stride)
            {
                yTicks.Add((Math.Pow(10, e), "1e" + e.ToString(CultureInfo.InvariantCulture)));
            }
        }
        else
        {
            (double low, double high, double step) = NiceRange(yMin, yMax);
            yScale = y => top + (plotHeight * (1 - ((y - low) / (high - low))));
            yTicks = [];
            for (double v = low; v <= high + (step / 2); v += step)
            {
                yTicks.Add((v, Format(v)));
            }
        }

        (double xLow, double xHigh, double xStep) = NiceRange(xMin, xMax);
        double X(double x) => left + (plotWidth * (x - xLow) / (xHigh - xLow));

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"  <title>{Escape(Title)}</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"  <rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"  <text x=\"{width / 2}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">{Escape(Title)}</text>\n");
        svg.Append("  <g class=\"axes\" stroke=\"#888\" fill=\"none\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"    <rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\"/>\n");
        svg.Append("  </g>\n  <g class=\"ticks\" fill=\"#333\">\n");
        foreach ((double value, string label) in yTicks)
        {
            double y = yScale(value);
            svg.Append(CultureInfo.InvariantCulture, $"    <line x1=\"{left}\" x2=\"{left + plotWidth}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#eee\"/><text x=\"{left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Escape(label)}</text>\n");
        }

        for (double v = xLow; v <= xHigh + (xStep / 2); v += xStep)
        {
            svg.Append(CultureInfo.InvariantCulture, $"    <text x=\"{X(v):F1}\" y=\"{top + plotHeight + 18}\" text-anchor=\"middle\">{Escape(Format(v))}</text>\n");
        }

        svg.Append("  </g>\n");
        svg.Append(CultureInfo.InvariantCulture, $"  <text x=\"{left + (plotWidth / 2)}\" y=\"{height - 16}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"  <text transform=\"translate(20 {top + (plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n");
        for (int i = 0; i < _series.Count; i++)
        {
            (string name, (double X, double Y)[] points, bool dashed) = _series[i];
            string color = Palette[i % Palette.Length];
            string path = string.Join(" ", points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.X):F1},{yScale(p.Y):F1}")));
            string data = string.Join(" ", points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X:R},{p.Y:R}")));
            svg.Append(CultureInfo.InvariantCulture, $"  <g class=\"series\" data-name=\"{Escape(name)}\" data-points=\"{data}\">\n");
            svg.Append(CultureInfo.InvariantCulture, $"    <polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"{(dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)} points=\"{path}\"/>\n");
            double legendY = top + 14 + (i * 20);
            svg.Append(CultureInfo.InvariantCulture, $"    <line x1=\"{left + plotWidth + 14}\" x2=\"{left + plotWidth + 40}\" y1=\"{legendY}\" y2=\"{legendY}\" stroke=\"{color}\" stroke-width=\"2.5\"{(dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"    <text x=\"{left + plotWidth + 46}\" y=\"{legendY + 4}\">{Escape(name)}</text>\n");
            svg.Append("  </g>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Bounds rounded out to 1, 2 or 5 × a power of ten, with about five steps between them.</summary>
    private static (double Low, double High, double Step) NiceRange(double min, double max)
    {
        if (max <= min)
        {
            double pad = Math.Max(Math.Abs(min) * 0.1, 1);
            min -= pad;
            max += pad;
        }

        double raw = (max - min) / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw / magnitude < 1.5 ? magnitude : raw / magnitude < 3.5 ? 2 * magnitude : raw / magnitude < 7.5 ? 5 * magnitude : 10 * magnitude;
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    private static string Format(double value)
        => Math.Abs(value) >= 1e5 || (Math.Abs(value) < 1e-3 && value != 0) ? value.ToString("0.##E0", CultureInfo.InvariantCulture) : Math.Round(value, 6).ToString("0.######", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;
}
