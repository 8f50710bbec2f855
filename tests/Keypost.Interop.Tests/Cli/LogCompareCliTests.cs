using Keypost.Testing.Beds;
using Keypost.Testing;
using Keypost.Transparency.Log;
using Keypost.Transparency.Notes;

namespace Keypost.Interop.Tests.Cli;

/// <summary>`keypost log compare`: two clients holding two checkpoints of one log find a split view.</summary>
public sealed class LogCompareCliTests
{
    private const string Origin = "openpgpkey.jedi.test/.well-known/openpgpkey/jedi.test/log";

    [Fact]
    public async Task Two_checkpoints_of_the_same_size_with_different_roots_are_reported_as_a_fork_with_exit_code_3()
    {
        using var directory = new TempDirectory("keypost-compare");
        var signer = new NoteSigner(Origin, NoteSigner.GeneratePrivateKey());
        await File.WriteAllTextAsync(directory.Combine("leia.note"), Sign(signer, 4, ""));
        await File.WriteAllTextAsync(directory.Combine("luke.note"), Sign(signer, 4, "-forged"));
        await File.WriteAllTextAsync(directory.Combine("leia-again.note"), Sign(signer, 4, ""));

        var fork = await KeypostCli.RunAsync(["log", "compare", "--vkey", signer.VerifierKey, "leia.note", "luke.note"], workingDirectory: directory.Path);
        Assert.True(fork.ExitCode == 3, fork.ToString());
        Assert.StartsWith("fork: two different trees of size 4", fork.StandardOutput, StringComparison.Ordinal);

        var same = await KeypostCli.RunAsync(["log", "compare", "--vkey", signer.VerifierKey, "leia.note", "leia-again.note"], workingDirectory: directory.Path);
        Assert.True(same.ExitCode == 0, same.ToString());

        var stranger = new NoteSigner(Origin, NoteSigner.GeneratePrivateKey()).VerifierKey;
        var unsigned = await KeypostCli.RunAsync(["log", "compare", "--vkey", stranger, "leia.note", "luke.note"], workingDirectory: directory.Path);
        Assert.Equal(1, unsigned.ExitCode);
    }

    private static string Sign(NoteSigner signer, int size, string salt)
    {
        var hashes = new MemoryLogHashes();
        for (var i = 0; i < size; i++)
        {
            hashes.Append(MerkleHash.Leaf(System.Text.Encoding.UTF8.GetBytes($"entry {i}{salt}")));
        }

        return signer.Sign(new Checkpoint(Origin, size, MerkleProofs.Root(hashes, size)).Format());
    }
}
