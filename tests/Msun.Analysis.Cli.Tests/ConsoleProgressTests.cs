using Msun.Analysis.Cli.Commands;

namespace Msun.Analysis.Cli.Tests;

/// <summary>The progress bar's text, and the two ways it is written: redrawn in place on a terminal, periodic lines in a log.</summary>
public sealed class ConsoleProgressTests
{
    private TimeSpan now;

    [Fact]
    public void Format_shows_the_fraction_rate_and_time_left()
    {
        // 50 of 200 batches at 5 per second: 25 % (6 of 24 marks), 150 left → 30 s.
        Assert.Equal("epoch 1/3 [######..................]  25%  50/200 batches  5 batches/s  ETA 30s  loss 0.5",
            ConsoleProgress.Format("epoch 1/3", 50, 200, "batches", 5.0, "loss 0.5"));
        Assert.Equal("evaluating [########################] 100%  8/8 images  2.5 images/s",
            ConsoleProgress.Format("evaluating", 8, 8, "images", 2.5, null)); // finished: no time left to show
        Assert.Equal("study [........................]   0%  0/5 steps", ConsoleProgress.Format("study", 0, 5, "steps", null, null));
        Assert.Equal("1h05m", Msun.Analysis.Torch.Pipeline.Eta.Format(TimeSpan.FromMinutes(65)));
        Assert.Equal("3m07s", Msun.Analysis.Torch.Pipeline.Eta.Format(TimeSpan.FromSeconds(187)));
    }

    [Fact]
    public void In_a_log_it_writes_the_start_the_first_eta_then_at_most_one_line_per_interval_and_the_end()
    {
        var log = new StringWriter();
        var progress = new ConsoleProgress(log, live: false, () => now);
        for (int b = 1; b <= 100; b++)
        {
            now = TimeSpan.FromSeconds(b); // one batch per second: lines at 1 s (start), 2 s (first ETA), 12 s, 22 s, …, 92 s, and 100 s (the end)
            progress.Report("epoch 1/1", b, 100, "batches");
        }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length);
        Assert.StartsWith("epoch 1/1 [", lines[0]);
        Assert.Contains("2/100 batches  1 batches/s  ETA 1m38s", lines[1]);
        Assert.Contains("12/100 batches  1 batches/s  ETA 1m28s", lines[2]);
        Assert.Contains("100/100 batches", lines[^1]);
        Assert.DoesNotContain('\r', log.ToString());
    }

    [Fact]
    public void On_a_terminal_it_redraws_one_line_and_log_lines_clear_it()
    {
        var terminal = new StringWriter();
        var progress = new ConsoleProgress(terminal, live: true, () => now);
        now = TimeSpan.FromSeconds(0);
        progress.Report("study", 1, 4, "steps");
        now = TimeSpan.FromSeconds(2);
        progress.Report("study", 2, 4, "steps");
        progress.WriteLine("a log line");
        now = TimeSpan.FromSeconds(4);
        progress.Report("study", 4, 4, "steps");

        string text = terminal.ToString(); // "\r" is the redraw: line endings are compared as written (Linux)
        Assert.Equal(
            "\r\u001b[Kstudy [######..................]  25%  1/4 steps"
            + "\r\u001b[Kstudy [############............]  50%  2/4 steps  0.5 steps/s  ETA 4s"
            + "\r\u001b[Ka log line\n"
            + "\r\u001b[Kstudy [########################] 100%  4/4 steps  0.75 steps/s\n", text);
    }
}
