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

    /// <summary>
    /// Extra peer arguments and row-label suffix for the peer in PyTorch's default layout, and with its channels-last recipe
    /// (<c>--channels-last</c>): ours holds its weights channels-last (<c>ChannelsLastWeights</c>), and a strong engineer
    /// would try the same on the peer.
    /// </summary>
    public static readonly (string[] Arguments, string Label)[] PeerLayouts = [([], ""), (["--channels-last"], ", torch channels-last")];

    /// <summary>
    /// Runs the command once, outside any timed round, with <paramref name="extra"/> arguments appended, and returns its
    /// standard output; a non-zero exit throws with its standard error.
    /// </summary>
    public string RunOnce(IReadOnlyDictionary<string, string>? environment = null, params string[] extra)
    {
        var info = new ProcessStartInfo(File) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in Arguments.Concat(extra)) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {File}");
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Label} {string.Join(' ', extra)} failed:\n{error.Result}");
        return output;
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
        _table.Append(Header(suite, DateTime.UtcNow, Path.GetFileName(LogPath)));
    }

    /// <summary>The table's title, legend and column heads.</summary>
    private static string Header(string suite, DateTime started, string log) =>
        $"# {suite}, {started.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC\n\n" +
        "Shared 2-core machine, measured **under load** (1-minute load average before each run, range per row). Per round: wall ratio =\n" +
        "peer wall time / our wall time, CPU ratio = peer CPU time / our CPU time (> 1: we are faster); each is the median of the per-round\n" +
        "ratios [min–max]. s, CPU s and MB are medians over the rounds. MB = peak RSS of the timed part above the RSS just before it\n" +
        "(whole-process rows: the process's peak RSS); peak = the process's whole peak RSS. Raw log: " + log + ".\n\n" +
        "| row | threads | rounds | ours s | peer s | wall ratio | ours CPU s | peer CPU s | CPU ratio | ours MB | peer MB | ours peak | peer peak | load | agreement |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";

    /// <summary>One table row from the rounds of one comparison: (ours, peer, load before ours, load before peer) per round.</summary>
    private static string RowLine(string row, int threads, IReadOnlyList<(Measurement Ours, Measurement Peer, double LoadOurs, double LoadPeer)> rounds, string agreement)
    {
        var wall = rounds.Select(r => r.Peer.Seconds / r.Ours.Seconds).ToArray();
        var cpu = rounds.Select(r => r.Peer.CpuSeconds / r.Ours.CpuSeconds).ToArray();
        var loads = rounds.SelectMany(r => new[] { r.LoadOurs, r.LoadPeer }).ToArray();
        return Invariant(
            $"| {row} | {threads} | {rounds.Count} | {Median(rounds.Select(r => r.Ours.Seconds)):F3} | {Median(rounds.Select(r => r.Peer.Seconds)):F3} | **{Median(wall):F2}** [{wall.Min():F2}–{wall.Max():F2}] | {Median(rounds.Select(r => r.Ours.CpuSeconds)):F2} | {Median(rounds.Select(r => r.Peer.CpuSeconds)):F2} | **{Median(cpu):F2}** [{cpu.Min():F2}–{cpu.Max():F2}] | {Median(rounds.Select(r => r.Ours.MemoryMb)):F0} | {Median(rounds.Select(r => r.Peer.MemoryMb)):F0} | {Median(rounds.Select(r => r.Ours.ProcessPeakMb)):F0} | {Median(rounds.Select(r => r.Peer.ProcessPeakMb)):F0} | {loads.Min():F1}–{loads.Max():F1} | {agreement} |");
    }

    /// <summary>Rebuilds the table of a raw log (<c>summarize LOG</c>): every number in a committed table can be re-derived from its log.</summary>
    public static string Summarize(string logPath)
    {
        var entries = File.ReadLines(logPath).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var first = entries[0];
        var table = new StringBuilder(Header((string)first["suite"]!, DateTime.Parse((string)first["started_utc"]!, CultureInfo.InvariantCulture,
            DateTimeStyles.RoundtripKind), Path.GetFileName(logPath)));
        var keys = entries.Where(e => e["side"] is not null).Select(e => ((string)e["row"]!, (int)e["threads"]!)).Distinct().ToList();
        foreach (var (row, threads) in keys)
        {
            var mine = entries.Where(e => (string?)e["row"] == row && (int?)e["threads"] == threads).ToList();
            var sides = mine.Where(e => e["side"] is not null).ToList();
            var rounds = sides.Where(e => (string)e["side"]! == "ours")
                .Select(o => (o, p: sides.FirstOrDefault(e => (string)e["side"]! != "ours" && (int)e["round"]! == (int)o["round"]!)))
                .Where(r => r.p is not null)
                .Select(r => (FromLog(r.o), FromLog(r.p!), (double)r.o["load1_before"]!, (double)r.p!["load1_before"]!)).ToList();
            string agreement = mine.LastOrDefault(e => e["agreement"] is not null)?["agreement"]?.GetValue<string>()
                ?? ((string?)mine.LastOrDefault(e => e["summary"] is not null)?["summary"])?.TrimEnd(' ', '|').Split('|')[^1].Trim() ?? "";
            if (rounds.Count > 0) table.AppendLine(RowLine(row, threads, rounds, agreement));
        }
        foreach (var note in entries.Where(e => e["note"] is not null)) table.Append("\n" + (string)note["note"]! + "\n");
        return table.ToString();
    }

    private static Measurement FromLog(JsonObject e) => new((double)e["seconds"]!, (double)e["cpu_seconds"]!, (double)e["memory_mb"]!,
        (double)e["process_peak_mb"]!, e["output"]!.AsObject());

    public string LogPath { get; }

    /// <summary>The environment both sides run under: thread counts pinned, passive OpenMP waiting, the same allocator setting.</summary>
    public IReadOnlyDictionary<string, string> Environment(int threads) => EnvironmentFor(threads, _glibcDefaults);

    /// <summary><see cref="Environment(int)"/> for a run outside a table (the breakdown diagnostics).</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentFor(int threads, bool glibcDefaults)
    {
        string t = threads.ToString(CultureInfo.InvariantCulture);
        var env = new Dictionary<string, string>
        {
            ["OMP_NUM_THREADS"] = t, ["OPENBLAS_NUM_THREADS"] = t, ["MKL_NUM_THREADS"] = t, ["OMP_WAIT_POLICY"] = "PASSIVE",
        };
        if (!glibcDefaults) env["GLIBC_TUNABLES"] = AllocatorTunables;
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
        var done = new List<(Measurement Ours, Measurement Peer, double LoadOurs, double LoadPeer)>();
        string agreement = "";
        for (int round = 1; round <= rounds; round++)
        {
            var measured = new List<(Measurement M, double Load)>();
            foreach (var side in new[] { ours, peer })
            {
                double load = LoadAverage();
                string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
                var m = Launch(side, env, wholeProcess);
                measured.Add((m, load));
                Write(new JsonObject
                {
                    ["row"] = row, ["threads"] = threads, ["round"] = round, ["side"] = side.Label, ["load1_before"] = load,
                    ["loadavg_before"] = loadBefore, ["loadavg_after"] = File.ReadAllText("/proc/loadavg").Trim(), ["seconds"] = m.Seconds, ["cpu_seconds"] = m.CpuSeconds,
                    ["memory_mb"] = m.MemoryMb, ["process_peak_mb"] = m.ProcessPeakMb, ["output"] = m.Output.DeepClone(),
                });
            }
            var r = (measured[0].M, measured[1].M, measured[0].Load, measured[1].Load);
            agreement = check(r.Item1.Output, r.Item2.Output);
            done.Add(r);
            Write(new JsonObject { ["row"] = row, ["threads"] = threads, ["round"] = round, ["agreement"] = agreement });
            Console.WriteLine(Invariant(
                $"  {row}, {threads} thread(s), round {round}: ours {r.Item1.Seconds:F3} s ({r.Item1.CpuSeconds:F2} CPU s), peer {r.Item2.Seconds:F3} s ({r.Item2.CpuSeconds:F2} CPU s), load {r.Item3:F1}/{r.Item4:F1}, {agreement}"));
        }
        string line = RowLine(row, threads, done, agreement);
        _table.AppendLine(line);
        Write(new JsonObject { ["row"] = row, ["threads"] = threads, ["summary"] = line });
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
