using Msun.Analysis.Core.Results;

namespace Msun.Analysis.Core.SplitSelection;

/// <summary>One block's evidence for one probe of a <see cref="SplitRecommendation"/>, as a row of its CSV.</summary>
/// <param name="Probe">Probe size.</param>
/// <param name="Threshold">τ for this probe.</param>
/// <param name="ProbeSplit">The split this probe gives.</param>
/// <param name="Block">Block name.</param>
/// <param name="Index">1-based position in the network.</param>
/// <param name="Mean">Mean CKA.</param>
/// <param name="Lower">Low end of the block's band.</param>
/// <param name="Upper">High end of the block's band.</param>
/// <param name="Status">How the rule classified the block.</param>
public sealed record SplitEvidenceRow(int Probe, double Threshold, int ProbeSplit, string Block, int Index, double Mean, double Lower, double Upper, BlockStatus Status);

/// <summary>
/// The table form of a <see cref="SplitRecommendation"/>: one row per probe and block,
/// <c>probe,threshold,probe_split,block,block_index,mean,lower,upper,status</c> (status lower-case: sensitive, ambiguous,
/// recovered, head), in the CSV dialect of the result files. The recommendation's options, warnings and overall split are
/// JSON-only (<see cref="SplitRecommendationJson"/>).
/// </summary>
public static class SplitRecommendationCsv
{
    /// <summary>The columns, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["probe", "threshold", "probe_split", "block", "block_index", "mean", "lower", "upper", "status"];

    /// <summary>The rows of a recommendation, probe by probe, blocks in network order.</summary>
    public static IReadOnlyList<SplitEvidenceRow> Rows(SplitRecommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        return [.. recommendation.Probes.SelectMany(p => p.Blocks.Select(b =>
            new SplitEvidenceRow(p.Probe, p.Threshold, p.Split, b.Block, b.Index, b.Mean, b.Lower, b.Upper, b.Status)))];
    }

    /// <summary>Writes the rows of <paramref name="recommendation"/>.</summary>
    public static void Write(TextWriter writer, SplitRecommendation recommendation) => Write(writer, Rows(recommendation));

    /// <summary>Writes evidence rows.</summary>
    public static void Write(TextWriter writer, IEnumerable<SplitEvidenceRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Csv.Write(writer, Columns, rows.Select(r => (IReadOnlyList<string>)
        [
            Csv.Number(r.Probe), Csv.Number(r.Threshold), Csv.Number(r.ProbeSplit), r.Block, Csv.Number(r.Index),
            Csv.Number(r.Mean), Csv.Number(r.Lower), Csv.Number(r.Upper), r.Status.ToString().ToLowerInvariant(),
        ]));
    }

    /// <summary>Reads rows written by <see cref="Write(TextWriter, IEnumerable{SplitEvidenceRow})"/>.</summary>
    /// <exception cref="InvalidDataException">A missing column, a malformed number or an unknown status (named with its row).</exception>
    public static IReadOnlyList<SplitEvidenceRow> Read(TextReader reader, string source = "split CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (col, rows) = Csv.ReadTable(reader, Columns, source);
        return [.. rows.Select((f, i) =>
        {
            int row = i + 1;
            string status = f[col["status"]];
            if (!Enum.TryParse<BlockStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || status.Any(char.IsDigit))
                throw new InvalidDataException($"{source}: row {row}: status '{status}' is not sensitive, ambiguous, recovered or head.");
            return new SplitEvidenceRow(
                Csv.ParseInt(f[col["probe"]], "probe", row, source), Csv.ParseDouble(f[col["threshold"]], "threshold", row, source),
                Csv.ParseInt(f[col["probe_split"]], "probe_split", row, source), f[col["block"]],
                Csv.ParseInt(f[col["block_index"]], "block_index", row, source), Csv.ParseDouble(f[col["mean"]], "mean", row, source),
                Csv.ParseDouble(f[col["lower"]], "lower", row, source), Csv.ParseDouble(f[col["upper"]], "upper", row, source), parsed);
        })];
    }
}
