using System.Text;

namespace Keypost.Fuzz;

/// <summary>
/// Deterministic mutations for the CI run (AFL++ does its own): bit flips, interesting bytes, protocol tokens,
/// deletions, repeated chunks (which is how nesting bombs are found) and splices with other corpus entries.
/// </summary>
public static class Mutator
{
    public const int MaxLength = 64 * 1024;

    private static readonly byte[] Interesting = "\0\r\n \t()[]{}<>\"\\*%:;,.=+-~@0123456789\u007f"u8.ToArray();

    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            "\r\n", "{5}\r\n", "{0+}\r\n", "{99999999}\r\n", "NOT ", "OR ", "(", ")", "1:*", "*", "4294967295", "0",
            "BODY[", "BODY.PEEK[1.2.3]", "]<0.1>", "HEADER.FIELDS (", "ALL", "FULL", "UID ", "\\Seen", "\"", "\\",
            "MAIL FROM:<", "RCPT TO:<", ">", "DATA\r\n", "\r\n.\r\n", "BDAT ", "SIZE=", "SMTPUTF8", "@", "[IPv6:",
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", "--b--\r\n", "Content-Type: message/rfc822\r\n\r\n",
            "Content-Transfer-Encoding: base64\r\n", "=?utf-8?b?", "?=", "From: ", "DKIM-Signature: ", "v=spf1 ",
            "include:", "redirect=", "%{l1r+}", "v=DMARC1; p=", "v=DKIM1; p=", "-----BEGIN PGP MESSAGE-----\n",
            "/.well-known/openpgpkey/", "/./", "//", "/hu/", "%2e", "\u00e4", "\u2026",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    public static byte[] Mutate(byte[] input, Random random, IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(input);
        var operations = random.Next(1, 5);
        for (var i = 0; i < operations; i++)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count + 1);
            switch (random.Next(8))
            {
                case 0 when data.Count > 0:
                    var flip = random.Next(data.Count);
                    data[flip] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[random.Next(data.Count)] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    data.InsertRange(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 3 when data.Count > 0:
                    var start = random.Next(data.Count);
                    data.RemoveRange(start, random.Next(1, Math.Min(64, data.Count - start) + 1));
                    break;
                case 4 when data.Count > 0:
                    // A chunk repeated many times: deep nesting, long runs, many parts.
                    var from = random.Next(data.Count);
                    var chunk = data.GetRange(from, random.Next(1, Math.Min(16, data.Count - from) + 1));
                    var times = random.Next(2) == 0 ? random.Next(2, 20) : random.Next(100, 5000);
                    for (var t = 0; t < times && data.Count < MaxLength; t++)
                    {
                        data.InsertRange(from, chunk);
                    }

                    break;
                case 5 when corpus.Count > 0:
                    var other = corpus[random.Next(corpus.Count)];
                    var cut = random.Next(other.Length + 1);
                    data.InsertRange(at, other.Skip(cut).Take(random.Next(1, 256)));
                    break;
                case 6:
                    var run = new byte[random.Next(1, 32)];
                    random.NextBytes(run);
                    data.InsertRange(at, run);
                    break;
                default:
                    if (data.Count > 1)
                    {
                        data.RemoveRange(random.Next(data.Count / 2, data.Count), 1);
                    }

                    break;
            }
        }

        return data.Count > MaxLength ? data.GetRange(0, MaxLength).ToArray() : data.ToArray();
    }
}
