using System.Globalization;
using System.Text;

namespace Keypost.Core.Text;

/// <summary>
/// In charge of making untrusted text safe to show on a terminal.
/// Makes untrusted text (user IDs, file names, addresses) safe to show on a terminal or in a log line:
/// control characters, bidi overrides and other invisible format characters become visible escapes, so a
/// user ID such as "x\n[GNUPG:] GOODSIG" cannot forge a line of output.
/// </summary>
public static class DisplayText
{
    public static string Escape(string text, int maxLength = int.MaxValue)
    {
        var sb = new StringBuilder(Math.Min(text.Length, maxLength) + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            if (sb.Length >= maxLength)
            {
                sb.Append('…');
                break;
            }

            var category = Rune.GetUnicodeCategory(rune);
            if (Rune.IsControl(rune)
                || category is UnicodeCategory.Format or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate
                    or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
            {
                sb.Append(rune.Value <= 0xffff ? $"\\u{rune.Value:x4}" : $"\\U{rune.Value:x8}");
            }
            else if (rune.Value == '\\')
            {
                sb.Append(@"\\");
            }
            else
            {
                sb.Append(rune.ToString());
            }
        }

        return sb.ToString();
    }
}
