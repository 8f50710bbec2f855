using System.Text.Json;
using Keypost.Transparency.Log;

namespace Keypost.Transparency.Tests.Log;

public sealed class MerkleVectorTests
{
    public static TheoryData<string> InclusionFiles() => Files("inclusion");

    public static TheoryData<string> ConsistencyFiles() => Files("consistency");

    [Theory]
    [MemberData(nameof(InclusionFiles))]
    public void Inclusion_vectors_verify_or_fail_as_transparency_dev_says(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("merkle", file)));
        var v = json.RootElement;
        // Indexes beyond long.MaxValue (the vectors' uint64 underflows) cannot name a leaf here.
        var index = v.GetProperty("leafIdx").GetUInt64();
        var ok = index <= long.MaxValue && MerkleProofs.VerifyInclusion((long)index, v.GetProperty("treeSize").GetInt64(),
            Bytes(v, "leafHash"), Hashes(v), Bytes(v, "root"));
        Assert.Equal(!v.GetProperty("wantErr").GetBoolean(), ok);
    }

    [Theory]
    [MemberData(nameof(ConsistencyFiles))]
    public void Consistency_vectors_verify_or_fail_as_transparency_dev_says(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("merkle", file)));
        var v = json.RootElement;
        var ok = MerkleProofs.VerifyConsistency(v.GetProperty("size1").GetInt64(), v.GetProperty("size2").GetInt64(),
            Bytes(v, "root1"), Bytes(v, "root2"), Hashes(v));
        Assert.Equal(!v.GetProperty("wantErr").GetBoolean(), ok);
    }

    [Fact]
    public void The_RFC_6962_inputs_give_the_published_root_and_every_generated_proof_verifies()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("merkle", "rfc6962-leaves.json")));
        var leaves = json.RootElement.GetProperty("leaves").EnumerateArray().Select(l => Convert.FromHexString(l.GetString()!)).ToList();
        var hashes = new MemoryLogHashes();
        var roots = new List<byte[]> { MerkleHash.EmptyRoot() };
        foreach (var leaf in leaves)
        {
            hashes.Append(MerkleHash.Leaf(leaf));
            roots.Add(MerkleProofs.Root(hashes, hashes.Size));
        }

        Assert.Equal(json.RootElement.GetProperty("root").GetString(), Convert.ToHexStringLower(roots[8]));
        for (long n = 1; n <= 8; n++)
        {
            for (long m = 0; m < n; m++)
            {
                var path = MerkleProofs.Inclusion(hashes, m, n);
                Assert.True(MerkleProofs.VerifyInclusion(m, n, MerkleHash.Leaf(leaves[(int)m]), path, roots[(int)n]));
                Assert.False(MerkleProofs.VerifyInclusion(m, n, MerkleHash.Leaf([0xff]), path, roots[(int)n]));
                if (m > 0)
                {
                    var consistency = MerkleProofs.Consistency(hashes, m, n);
                    Assert.True(MerkleProofs.VerifyConsistency(m, n, roots[(int)m], roots[(int)n], consistency));
                    Assert.False(MerkleProofs.VerifyConsistency(m, n, roots[(int)m - 1], roots[(int)n], consistency));
                }
            }
        }
    }

    [Fact]
    public void Generated_proofs_equal_the_happy_path_vectors()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Path("merkle", "rfc6962-leaves.json")));
        var hashes = new MemoryLogHashes();
        foreach (var leaf in json.RootElement.GetProperty("leaves").EnumerateArray())
        {
            hashes.Append(MerkleHash.Leaf(Convert.FromHexString(leaf.GetString()!)));
        }

        var compared = 0;
        foreach (var dir in new[] { "0", "1", "2", "3", "4" })
        {
            using var inclusion = JsonDocument.Parse(File.ReadAllText(TestData.Path("merkle", "inclusion", dir, "happy-path.json")));
            var v = inclusion.RootElement;
            var path = MerkleProofs.Inclusion(hashes, v.GetProperty("leafIdx").GetInt64(), v.GetProperty("treeSize").GetInt64());
            Assert.Equal(Hashes(v).Select(Convert.ToBase64String), path.Select(Convert.ToBase64String));

            var consistencyFile = TestData.Path("merkle", "consistency", dir, "happy-path.json");
            using var consistency = JsonDocument.Parse(File.ReadAllText(consistencyFile));
            var c = consistency.RootElement;
            var proof = MerkleProofs.Consistency(hashes, c.GetProperty("size1").GetInt64(), c.GetProperty("size2").GetInt64());
            Assert.Equal(Hashes(c).Select(Convert.ToBase64String), proof.Select(Convert.ToBase64String));
            compared++;
        }

        Assert.Equal(5, compared);
    }

    private static TheoryData<string> Files(string kind)
    {
        var root = TestData.Path("merkle");
        var data = new TheoryData<string>();
        foreach (var file in System.IO.Directory.EnumerateFiles(System.IO.Path.Combine(root, kind), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(System.IO.Path.GetRelativePath(root, file));
        }

        return data;
    }

    private static byte[] Bytes(JsonElement v, string name) =>
        v.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? Convert.FromBase64String(p.GetString()!) : [];

    private static List<byte[]> Hashes(JsonElement v) =>
        v.TryGetProperty("proof", out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList()
            : [];
}
