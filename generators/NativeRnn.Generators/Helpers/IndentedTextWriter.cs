using System;
using System.Text;

namespace NativeRnn.Generators.Helpers;

/// <summary>Writes C# with indentation; <see cref="Block"/> opens a brace block closed by <c>using</c>.</summary>
internal sealed class IndentedTextWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
    private int _depth;

    public void WriteLine(string line = "")
    {
        if (line.Length == 0)
        {
            _builder.Append('\n');
            return;
        }

        foreach (string part in line.Split('\n'))
        {
            if (part.Length > 0)
            {
                for (int i = 0; i < _depth; i++)
                {
                    _builder.Append(IndentUnit);
                }

                _builder.Append(part.TrimEnd());
            }

            _builder.Append('\n');
        }
    }

    public BlockScope Block(string? header = null)
    {
        if (header is not null)
        {
            WriteLine(header);
        }

        WriteLine("{");
        _depth++;
        return new BlockScope(this);
    }

    public void Indent() => _depth++;

    public void Outdent() => _depth--;

    public override string ToString() => _builder.ToString();

    internal readonly struct BlockScope : IDisposable
    {
        private readonly IndentedTextWriter _writer;

        public BlockScope(IndentedTextWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._depth--;
            _writer.WriteLine("}");
        }
    }
}
