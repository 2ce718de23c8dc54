using System.Security.Cryptography;

namespace Msun.Analysis.Cli.Tests;

/// <summary>Every file and folder under a root with the SHA-256 of each file: "nothing was changed" is two equal snapshots.</summary>
internal static class FolderState
{
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root)) return state;
        foreach (string entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, entry);
            state[relative] = Directory.Exists(entry) ? "folder" : Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(entry)));
        }

        return state;
    }

    /// <summary>Same files, same bytes, nothing added (no partial or temporary file) and nothing removed.</summary>
    public static void AssertUnchanged(SortedDictionary<string, string> before, string root)
    {
        var after = Snapshot(root);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (path, digest) in before)
            Assert.True(digest == after[path], $"{path} changed");
    }
}
