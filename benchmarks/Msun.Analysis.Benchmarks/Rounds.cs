using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Msun.Analysis.Benchmarks;

/// <summary>One side of a comparison: a process that prints its result as one JSON line (the last line of stdout).</summary>
internal sealed record SideCommand(string Label, string File, IReadOnlyList<string> Arguments)
{
    /// <summary>This benchmark executable in a worker mode (through the dotnet host when it was started that way).</summary>
    public static SideCommand Self(string label, IEnumerable<string> arguments)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new SideCommand(label, self, [typeof(SideCommand).Assembly.Location, .. arguments])
            : new SideCommand(label, self, [.. arguments]);
    }
}

/// <summary>What a side measured in one round.</summary>
/// <param name="Seconds">Wall time of the timed part (the side's own <c>seconds</c>), or of the whole process.</param>
/// <param name="CpuSeconds">CPU time (all threads) of the same part.</param>
/// <param name="MemoryMb">Peak RSS of the timed part above the RSS just before it, or, for a whole process, its peak RSS.</param>
/// <param name="ProcessPeakMb">Peak RSS of the whole process (GNU time's maximum resident set).</param>
internal sealed record Measurement(double Seconds, double CpuSeconds, double MemoryMb, double ProcessPeakMb, JsonObject Output);

/// <summary>
/// Runs ours and the peer in alternating rounds (ours, peer, ours, peer, …) under the same pinned environment,
/// checks in every round that both computed the same numbers, and reports the median of the per-round ratios
/// with their range. Every round goes to a raw JSON-lines log with the load average before each run: the machine
/// is shared, and a ratio of two runs seconds apart is far more stable than either time.
/// </summary>
internal sealed class Rounds : IDisposable
{
    /// <summary>glibc tunables equal to <c>NativeAllocator.KeepFreedMemory</c>'s mallopt calls, applied to both sides.</summary>
    public const string AllocatorTunables = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296";

    private readonly StreamWriter _log;
    private readonly StringBuilder _table = new();
    private readonly string _tablePath;
    private readonly bool _glibcDefaults;

    public Rounds(string suite, string resultsDirectory, bool glibcDefaults)
    {
        Directory.CreateDirectory(resultsDirectory);
        string stamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHHmm", CultureInfo.InvariantCulture);
        LogPath = Path.Combine(resultsDirectory, $"{suite}-{stamp}.jsonl");
        _tablePath = Path.Combine(resultsDirectory, $"{suite}-{stamp}.md");
        _log = new StreamWriter(LogPath) { AutoFlush = true };
        _glibcDefaults = glibcDefaults;
        Write(new JsonObject
        {
            ["suite"] = suite, ["started_utc"] = DateTime.UtcNow.ToString("O"), ["host_cpus"] = System.Environment.ProcessorCount,
            ["cpu"] = CpuModel(), ["allocator"] = glibcDefaults ? "glibc defaults (both sides)" : "GLIBC_TUNABLES=" + AllocatorTunables + " (both sides)",
        });
        _table.AppendLine(CultureInfo.InvariantCulture, $"# {suite}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        _table.AppendLine();
        _table.AppendLine("Shared 2-core machine, measured under load (1-minute load average per row). ratio = peer time / our time (> 1: we are faster),");
        _table.AppendLine("median of the per-round ratios [min–max]; s, CPU s and MB are medians over the rounds. MB = peak RSS of the timed part above the");
        _table.AppendLine("RSS just before it (whole-process rows: the process's peak RSS). Raw log: " + Path.GetFileName(LogPath) + ".");
        _table.AppendLine();
        _table.AppendLine("| row | threads | ours s | peer s | ratio | ours CPU s | peer CPU s | ours MB | peer MB | load | agreement |");
        _table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
    }

    public string LogPath { get; }

    /// <summary>The environment both sides run under: thread counts pinned, passive OpenMP waiting, the same allocator setting.</summary>
    public IReadOnlyDictionary<string, string> Environment(int threads)
    {
        string t = threads.ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            ["OMP_NUM_THREADS"] = t, ["OPENBLAS_NUM_THREADS"] = t, ["MKL_NUM_THREADS"] = t, ["OMP_WAIT_POLICY"] = "PASSIVE",
        };
        if (!_glibcDefaults) env["GLIBC_TUNABLES"] = AllocatorTunables;
        return env;
    }

    /// <summary>
    /// <paramref name="rounds"/> alternating rounds of one row. <paramref name="check"/> compares the two outputs of a
    /// round and returns the discrepancy it measured (for the table) or throws when they disagree beyond its tolerance.
    /// <paramref name="wholeProcess"/>: time the processes from outside (start-up, loading and all) instead of their timed part.
    /// </summary>
    public void Row(string row, int threads, int rounds, SideCommand ours, SideCommand peer, bool wholeProcess,
        Func<JsonObject, JsonObject, string> check)
    {
        var env = Environment(threads);
        Write(new JsonObject { ["row"] = row, ["threads"] = threads, ["environment"] = ToJson(env), ["whole_process"] = wholeProcess,
            ["ours"] = Describe(ours), ["peer"] = Describe(peer) });
        var ratios = new List<double>();
        var o = new List<Measurement>();
        var p = new List<Measurement>();
        var loads = new List<double>();
        string agreement = "";
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var (side, list) in new[] { (ours, o), (peer, p) })
            {
                double load = LoadAverage();
                loads.Add(load);
                var m = Launch(side, env, wholeProcess);
                list.Add(m);
                Write(new JsonObject
                {
                    ["row"] = row, ["threads"] = threads, ["round"] = round, ["side"] = side.Label, ["load1_before"] = load,
                    ["loadavg_before"] = File.ReadAllText("/proc/loadavg").Trim(), ["seconds"] = m.Seconds, ["cpu_seconds"] = m.CpuSeconds,
                    ["memory_mb"] = m.MemoryMb, ["process_peak_mb"] = m.ProcessPeakMb, ["output"] = m.Output.DeepClone(),
                });
            }
            agreement = check(o[^1].Output, p[^1].Output);
            ratios.Add(p[^1].Seconds / o[^1].Seconds);
            Console.WriteLine(Invariant($"  {row}, {threads} thread(s), round {round}: ours {o[^1].Seconds:F3} s, peer {p[^1].Seconds:F3} s, ratio {ratios[^1]:F2}, load {loads[^2]:F1}/{loads[^1]:F1}, {agreement}"));
        }
        string line = Invariant(
            $"| {row} | {threads} | {Median(o.Select(m => m.Seconds)):F3} | {Median(p.Select(m => m.Seconds)):F3} | **{Median(ratios):F2}** [{ratios.Min():F2}–{ratios.Max():F2}] | {Median(o.Select(m => m.CpuSeconds)):F2} | {Median(p.Select(m => m.CpuSeconds)):F2} | {Median(o.Select(m => m.MemoryMb)):F0} | {Median(p.Select(m => m.MemoryMb)):F0} | {loads.Min():F1}–{loads.Max():F1} | {agreement} |");
        _table.AppendLine(line);
        Write(new JsonObject { ["row"] = row, ["threads"] = threads, ["summary"] = line, ["ratios"] = new JsonArray([.. ratios.Select(r => (JsonNode)r)]) });
        File.WriteAllText(_tablePath, _table.ToString());
        Console.WriteLine(line);
    }

    /// <summary>Adds a free-text line (peer versions, BLAS, notes) under the table.</summary>
    public void Note(string text)
    {
        _table.AppendLine();
        _table.AppendLine(text);
        File.WriteAllText(_tablePath, _table.ToString());
        Write(new JsonObject { ["note"] = text });
    }

    public void Dispose()
    {
        File.WriteAllText(_tablePath, _table.ToString());
        _log.Dispose();
        Console.WriteLine($"table: {_tablePath}\nraw log: {LogPath}");
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Runs a side under GNU time (whole-process wall, CPU and peak RSS); parses its last stdout line.</summary>
    private static Measurement Launch(SideCommand side, IReadOnlyDictionary<string, string> env, bool wholeProcess)
    {
        string timeFile = Path.GetTempFileName();
        try
        {
            var info = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-f", "%e %U %S %M", "-o", timeFile, side.File }.Concat(side.Arguments)) info.ArgumentList.Add(a);
            foreach (var (k, v) in env) info.Environment[k] = v;
            using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start /usr/bin/time (Debian package: time)");
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{side.Label} failed ({side.File} {string.Join(' ', side.Arguments)}):\n{error.Result}");
            string[] time = File.ReadAllText(timeFile).Trim().Split('\n')[^1].Split(' ');
            double wall = Number(time[0]), cpu = Number(time[1]) + Number(time[2]), peak = Number(time[3]) / 1024;
            var json = JsonNode.Parse(output.Trim().Split('\n')[^1])!.AsObject();
            return wholeProcess
                ? new Measurement(wall, cpu, peak, peak, json)
                : new Measurement((double)json["seconds"]!, (double)json["cpu_seconds"]!, (double)json["peak_above_baseline_mb"]!, peak, json);
        }
        finally
        {
            File.Delete(timeFile);
        }
    }

    private static JsonObject Describe(SideCommand side) =>
        new() { ["label"] = side.Label, ["command"] = side.File + " " + string.Join(' ', side.Arguments) };

    private static JsonObject ToJson(IReadOnlyDictionary<string, string> env)
    {
        var o = new JsonObject();
        foreach (var (k, v) in env) o[k] = v;
        return o;
    }

    private void Write(JsonObject entry) => _log.WriteLine(entry.ToJsonString());

    private static double LoadAverage() => Number(File.ReadAllText("/proc/loadavg").Split(' ')[0]);

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

    private static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => FormattableString.Invariant(s);
}

/// <summary>Our side's counterpart of the peers' <c>Timed</c> (peers/peer_common.py): the same fields, measured the same way.</summary>
internal sealed class TimedSection
{
    private readonly Stopwatch _watch;
    private readonly TimeSpan _cpu;

    private TimedSection()
    {
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
        BaselineMb = Status("VmRSS");
        _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        _watch = Stopwatch.StartNew();
    }

    public double BaselineMb { get; }

    public static TimedSection Start() => new();

    /// <summary>Stops the clock and returns the fields every side prints (seconds, cpu_seconds, baseline_rss_mb, peak_above_baseline_mb).</summary>
    public JsonObject Stop()
    {
        double seconds = _watch.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds;
        return new JsonObject
        {
            ["seconds"] = seconds, ["cpu_seconds"] = cpu, ["baseline_rss_mb"] = BaselineMb, ["peak_above_baseline_mb"] = Status("VmHWM") - BaselineMb,
        };
    }

    public static double Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
