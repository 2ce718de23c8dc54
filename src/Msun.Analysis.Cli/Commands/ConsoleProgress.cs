using System.Diagnostics;
using System.Globalization;
using Msun.Analysis.Torch.Pipeline;

namespace Msun.Analysis.Cli.Commands;

/// <summary>
/// The CLI's one rendering of long work on stderr: a bar with count, rate and estimated time left, redrawn in place when
/// stderr is a terminal, and plain lines at most every <see cref="PlainInterval"/> (plus the first with an ETA and the last) when it is not, so a
/// CI log stays readable. Each task (a label: an epoch, the study's subsets, an evaluation) gets its own rate and ETA,
/// measured from its first report. Log lines go through <see cref="WriteLine"/>, which clears the bar first.
/// Hand-written rather than a console library: Spectre.Console's live progress must run the work inside its callback and
/// own every other stderr line; ShellProgressBar draws on stdout, which carries --json and summaries.
/// </summary>
internal sealed class ConsoleProgress(TextWriter writer, bool live, Func<TimeSpan> clock)
{
    /// <summary>Least time between two plain lines of one task.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);

    private const int BarWidth = 24;
    private string? task;
    private long firstDone;
    private TimeSpan started, lastPlain;
    private bool barShown, etaShown;

    /// <summary>Progress on the process's stderr, live when it is a terminal.</summary>
    public static ConsoleProgress ForStderr()
    {
        var watch = Stopwatch.StartNew();
        return new ConsoleProgress(Console.Error, !Console.IsErrorRedirected, () => watch.Elapsed);
    }

    /// <summary>
    /// <paramref name="done"/> of <paramref name="total"/> <paramref name="unit"/> of <paramref name="label"/>;
    /// <paramref name="detail"/> (e.g. the loss) is shown after the numbers.
    /// </summary>
    public void Report(string label, long done, long total, string unit, string? detail = null)
    {
        var now = clock();
        if (label != task || done < firstDone)
        {
            // A new task: its rate is measured from here (the work before its first report is not counted).
            (task, firstDone, started, lastPlain, etaShown) = (label, done, now, now, false);
            if (!live) { writer.WriteLine(Format(label, done, total, unit, null, detail)); return; }
        }
        double? rate = done > firstDone && now > started ? (done - firstDone) / (now - started).TotalSeconds : null;
        string line = Format(label, done, total, unit, rate, detail);
        if (live)
        {
            writer.Write("\r\u001b[K" + line);
            barShown = true;
            if (done >= total) EndBar();
        }
        else if (done >= total || now - lastPlain >= PlainInterval || (!etaShown && rate is not null))
        {
            // Besides every PlainInterval and the last, the first line with a measured rate, so even a short task's log shows an ETA.
            writer.WriteLine(line);
            lastPlain = now;
            etaShown |= rate is not null && done < total;
        }
    }

    /// <summary>A log line: clears the bar (the next report redraws it).</summary>
    public void WriteLine(string text)
    {
        if (barShown) writer.Write("\r\u001b[K");
        barShown = false;
        writer.WriteLine(text);
    }

    private void EndBar()
    {
        writer.WriteLine();
        barShown = false;
        task = null;
    }

    /// <summary>"label [#####.......]  40%  20/50 unit  2.5 unit/s  ETA 12s  detail"; rate and ETA are left out until measured.</summary>
    public static string Format(string label, long done, long total, string unit, double? rate, string? detail)
    {
        double fraction = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
        int filled = (int)Math.Round(BarWidth * fraction);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction * 100,3:F0}%  {done}/{total} {unit}");
        if (rate is double r && r > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"  {r:0.##} {unit}/s");
            if (done < total) text += "  ETA " + Eta.Format(TimeSpan.FromSeconds((total - done) / r));
        }
        return detail is null ? text : text + "  " + detail;
    }
}
