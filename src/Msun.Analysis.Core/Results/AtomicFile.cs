namespace Msun.Analysis.Core.Results;

/// <summary>Writes a file through a temporary sibling and a rename, so a failed write leaves nothing behind.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException("it is a directory.");
        var dir = Path.GetDirectoryName(full) ?? throw new IOException("it has no parent folder.");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"folder {dir} does not exist.");
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    public static void WriteText(string path, Action<TextWriter> write) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
            write(writer);
        });
}
