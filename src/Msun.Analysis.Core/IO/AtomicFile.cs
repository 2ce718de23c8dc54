using System.Text;

namespace Msun.Analysis.Core.IO;

/// <summary>
/// Replaces a file so that readers see the old content or the new, never a mix: the bytes go to a
/// temporary sibling (same file system, so the rename cannot become a copy), are flushed to disk, and
/// the temporary file is renamed over the target (rename(2) is atomic on POSIX). A failed write
/// leaves the old file and no temporary file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>Marker in temporary file names: a file containing it is a leftover of an interrupted write, never data.</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>Writes <paramref name="path"/> through a temporary sibling and a rename.</summary>
    /// <exception cref="IOException">The path is a directory or its folder does not exist (the message says which).</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException("it is a directory.");
        string folder = Path.GetDirectoryName(full) ?? throw new IOException("it has no parent folder.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"folder {folder} does not exist.");
        string temp = $"{full}{TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
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

    /// <summary>Writes UTF-8 text (no byte-order mark) through <see cref="Write"/>.</summary>
    public static void WriteText(string path, Action<TextWriter> write) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            write(writer);
        });

    /// <summary>Deletes leftover temporary files of <paramref name="path"/> (from a process killed mid-write).</summary>
    /// <returns>How many were removed.</returns>
    public static int DeleteLeftovers(string path)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder)) return 0;
        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(folder, Path.GetFileName(full) + TempMarker + "*"))
            if (TryDelete(file)) removed++;
        return removed;
    }

    /// <summary>
    /// Deletes, anywhere under <paramref name="folder"/>, the temporary files whose writer is no longer running (the
    /// process id in the name, see <see cref="Write"/>): leftovers of a run killed mid-write. A live writer's file is kept.
    /// </summary>
    /// <returns>The files removed.</returns>
    public static IReadOnlyList<string> DeleteLeftoversOfDeadWriters(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder)) return [];
        var removed = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, "*" + TempMarker + "*", SearchOption.AllDirectories))
            if (WriterOf(file) is int pid && !IsRunning(pid) && TryDelete(file))
                removed.Add(file);
        return removed;
    }

    /// <summary>The writer's process id in a temporary file's name (<c>target.tmp-PID-GUID</c>), or null when the name is not one of ours.</summary>
    private static int? WriterOf(string file)
    {
        string name = Path.GetFileName(file);
        int at = name.LastIndexOf(TempMarker, StringComparison.Ordinal);
        if (at < 0) return null;
        string rest = name[(at + TempMarker.Length)..];
        int dash = rest.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(rest.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
            ? pid
            : null;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryDelete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
