using System.Text;
using NativeRnn.Initialization;

namespace NativeRnn.Cli.Data;

/// <summary>
/// Short stories from a small grammar: people, places, times, actions, dialogue and punctuation, enough structure for a
/// character model to learn in a minute and enough variety that its samples are not copies. Generated from a seed, so
/// nothing is downloaded and no outside text is copied.
/// </summary>
internal static class GeneratedText
{
    private static readonly string[] Names = ["Mara", "Tom", "Ilse", "Jonah", "Ada", "Kofi", "Rosa", "Emil", "Lena", "Sami"];
    private static readonly string[] Kin = ["her brother", "his sister", "an old friend", "the baker", "the captain", "a stranger", "the twins", "her aunt"];
    private static readonly string[] Places = ["the harbour", "the market", "the old mill", "the library", "the station", "the orchard", "the bridge", "the lighthouse", "the forest road"];
    private static readonly string[] Times = ["On a cold morning", "Late in the evening", "At noon", "Before the rain came", "When the bells rang", "Long after midnight", "On the first day of spring"];
    private static readonly string[] Moves = ["walked to", "ran towards", "came back from", "waited near", "looked for", "climbed up to", "hurried past"];
    private static readonly string[] Things = ["a lantern", "the letter", "a blue coat", "the map", "some bread", "a small key", "the red boat", "an empty jar"];
    private static readonly string[] Adjectives = ["quiet", "bright", "tired", "strange", "warm", "narrow", "golden", "grey"];
    private static readonly string[] Questions = ["Where is {0}?", "Did you see {0}?", "Who took {0}?", "Can we find {0} before dark?", "Why is {0} here?"];
    private static readonly string[] Answers = ["Nobody knows.", "Look by {0}.", "It was here this morning.", "Ask {0}.", "We will find it tomorrow."];
    private static readonly string[] Verbs = ["asked", "said", "whispered", "called", "shouted"];
    private static readonly string[] Endings = ["Then they went home.", "The wind grew stronger.", "Nobody said a word.", "The light was fading.", "It had been a long day.", "Somewhere a dog barked."];

    /// <summary>About <paramref name="characters"/> characters of stories, in paragraphs.</summary>
    public static string Create(int characters, ulong seed)
    {
        var random = new DeterministicRandom(seed, 0x7E47);
        string Pick(string[] words) => words[random.NextInt(words.Length)];
        var text = new StringBuilder(characters + 400);
        while (text.Length < characters)
        {
            string hero = Pick(Names), other = Pick(Names), thing = Pick(Things), place = Pick(Places);
            text.Append(Pick(Times)).Append(", ").Append(hero).Append(' ').Append(Pick(Moves)).Append(' ').Append(place)
                .Append(" with ").Append(Pick(Kin)).Append(". ");
            text.Append("The ").Append(Pick(Adjectives)).Append(" air smelled of ").Append(Pick(["salt", "smoke", "rain", "apples", "pine"])).Append(". ");
            text.Append('"').Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, Pick(Questions), thing)).Append("\" ")
                .Append(Pick(Verbs)).Append(' ').Append(hero).Append(". ");
            text.Append(other).Append(' ').Append(Pick(["smiled", "shrugged", "laughed", "frowned", "nodded"])).Append(" and said, \"")
                .Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, Pick(Answers), random.NextDouble() < 0.5 ? Pick(Places) : Pick(Kin))).Append("\" ");
            if (random.NextDouble() < 0.6)
            {
                text.Append("They found ").Append(thing).Append(" near ").Append(Pick(Places)).Append(", ").Append(Pick(Adjectives)).Append(" and ").Append(Pick(Adjectives)).Append(". ");
            }

            text.Append(Pick(Endings)).Append("\n\n");
        }

        return text.ToString();
    }
}
