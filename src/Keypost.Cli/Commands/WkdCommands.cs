using System.CommandLine;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;

namespace Keypost.Cli.Commands;

/// <summary>`keypost wkd hash|url`, printing what `gpg-wks-client --print-wkd-hash|--print-wkd-url` prints.</summary>
public static class WkdCommands
{
    public static Command Create()
    {
        var addresses = new Argument<string[]>("address") { Arity = ArgumentArity.OneOrMore, Description = "Email addresses" };
        var hash = new Command("hash", "Print '<hash> <address>' per address, as gpg-wks-client --print-wkd-hash does.") { addresses };
        hash.SetAction((result, _) => CliAction.RunAsync(async () =>
        {
            foreach (var text in result.GetValue(addresses)!)
            {
                var address = EmailAddress.Parse(text);
                await Console.Out.WriteLineAsync($"{WkdHash.Compute(address)} {address.Canonical}");
            }

            return 0;
        }));

        var one = new Argument<string>("address") { Description = "An email address" };
        var url = new Command("url", "Print the advanced-method WKD URL of an address, as gpg-wks-client --print-wkd-url does.") { one };
        var direct = new Option<bool>("--direct") { Description = "Print the direct-method URL instead" };
        url.Options.Add(direct);
        url.SetAction((result, _) => CliAction.RunAsync(async () =>
        {
            var address = EmailAddress.Parse(result.GetValue(one)!);
            var uri = result.GetValue(direct) ? WkdUrls.Direct(address) : WkdUrls.Advanced(address);
            await Console.Out.WriteLineAsync(uri.AbsoluteUri);
            return 0;
        }));

        return new Command("wkd", "Web Key Directory names and addresses.") { hash, url };
    }
}
