namespace Msun.Analysis.Torch.Training;

/// <summary>
/// Replaces a file so that readers see the old content or the new, never a mix: the bytes go to a temporary file in
/// the same folder (same file system, so the rename cannot become a copy), are flushed to disk, and the temporary
/// file is renamed over the target (rename(2) replaces atomically on POSIX; MoveFileEx on Windows).
/// </summary>
public static class AtomicFile
{
    /// <summary>Marker in temporary file names; files containing it are leftovers of an interrupted write, never data.</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>Writes <paramref name="path"/> through a temporary sibling and a rename.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var temp = $"{full}{TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes leftover temporary files of <paramref name="path"/> (from a process killed mid-write).</summary>
    /// <returns>How many were removed.</returns>
    public static int DeleteLeftovers(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            return 0;
        var removed = 0;
        foreach (var f in Directory.EnumerateFiles(dir, Path.GetFileName(full) + TempMarker + "*"))
        {
            if (TryDelete(f))
                removed++;
        }

        return removed;
    }

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
