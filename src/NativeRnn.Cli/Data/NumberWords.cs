using System.Text;

namespace NativeRnn.Cli.Data;

/// <summary>English words for whole numbers below a million, as the translation task's targets: 4096 → "four thousand ninety-six".</summary>
internal static class NumberWords
{
    private static readonly string[] Ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    public static string Of(int number)
    {
        if (number is < 0 or >= 1_000_000)
        {
            throw new System.ArgumentOutOfRangeException(nameof(number), number, "Numbers from 0 to 999999.");
        }

        if (number == 0)
        {
            return Ones[0];
        }

        var words = new StringBuilder();
        if (number >= 1000)
        {
            Below1000(number / 1000, words);
            words.Append(" thousand");
            number %= 1000;
            if (number > 0)
            {
                words.Append(' ');
            }
        }

        if (number > 0)
        {
            Below1000(number, words);
        }

        return words.ToString();
    }

    private static void Below1000(int number, StringBuilder words)
    {
        if (number >= 100)
        {
            words.Append(Ones[number / 100]).Append(" hundred");
            number %= 100;
            if (number > 0)
            {
                words.Append(' ');
            }
        }

        if (number >= 20)
        {
            words.Append(Tens[number / 10]);
            if (number % 10 > 0)
            {
                words.Append('-').Append(Ones[number % 10]);
            }
        }
        else if (number > 0)
        {
            words.Append(Ones[number]);
        }
    }
}
