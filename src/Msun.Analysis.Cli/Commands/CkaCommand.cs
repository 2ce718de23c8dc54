using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Msun.Analysis.Core.Cka;
using Msun.Analysis.Core.Numpy;

namespace Msun.Analysis.Cli.Commands;

/// <summary><c>msun cka X.npy Y.npy</c>: CKA between two arrays whose rows are the same examples.</summary>
internal static class CkaCommand
{
    public static Command Create()
    {
        var x = new Argument<FileInfo>("X.npy") { Description = "First array (.npy); rows = examples, further dimensions flattened in C order." };
        var y = new Argument<FileInfo>("Y.npy") { Description = "Second array (.npy) with the same examples in the same order." };
        var kernel = new Option<string>("--kernel") { Description = "linear or rbf.", DefaultValueFactory = _ => "linear" };
        kernel.AcceptOnlyFromAmong("linear", "rbf");
        var sigmaFraction = new Option<double?>("--sigma-fraction") { Description = FormattableString.Invariant($"RBF: sigma^2 = F^2 x median squared distance (default {CkaKernel.DefaultSigmaFraction}).") };
        var sigmaRule = new Option<string>("--sigma-rule")
        {
            Description = "RBF bandwidth rule: median (all n^2 distances, zero diagonal included; Kornblith et al.), nonzero-median, or fixed (with --sigma).",
            DefaultValueFactory = _ => "median",
        };
        sigmaRule.AcceptOnlyFromAmong("median", "nonzero-median", "fixed");
        var sigma = new Option<double?>("--sigma") { Description = "RBF: a fixed sigma (with --sigma-rule fixed)." };
        var debiased = new Option<bool>("--debiased") { Description = "Unbiased HSIC (Song et al. 2012) instead of the biased estimator; needs n >= 4." };
        var form = new Option<string>("--form") { Description = "auto, gram or feature (linear only).", DefaultValueFactory = _ => "auto" };
        form.AcceptOnlyFromAmong("auto", "gram", "feature");
        var precision = new Option<string>("--precision")
        {
            Description = "float64 (default) or float32-products (feature form: float32 matrix products summed in float32 within 2048-row chunks, in float64 across them).",
            DefaultValueFactory = _ => "float64",
        };
        precision.AcceptOnlyFromAmong("float64", "float32-products");
        var batchSize = new Option<int?>("--batch-size") { Description = "Minibatch CKA (Nguyen et al. 2021): unbiased HSIC averaged over batches of this size." };
        var dropRagged = new Option<bool>("--drop-ragged") { Description = "Minibatch: leave out a short final batch (noted) instead of failing." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: the value (field cka) and its provenance." };

        var command = new Command("cka", "CKA between two .npy arrays (rows = examples).")
        {
            x, y, kernel, sigmaFraction, sigmaRule, sigma, debiased, form, precision, batchSize, dropRagged, json,
        };
        command.SetAction(parse => CliErrors.Run("cka", () =>
        {
            var request = new Request(
                parse.GetRequiredValue(x), parse.GetRequiredValue(y), parse.GetValue(kernel)!, parse.GetValue(sigmaFraction),
                parse.GetValue(sigmaRule)!, parse.GetValue(sigma), parse.GetValue(debiased), parse.GetValue(form)!,
                parse.GetValue(precision)!, parse.GetValue(batchSize), parse.GetValue(dropRagged));
            DebianPackages.RequireOpenBlas();
            var result = Compute(request);
            CliBlas.NoteIfManaged("cka");
            Console.WriteLine(parse.GetValue(json) ? ToJson(request, result) : ToText(result));
            return 0;
        }));
        return command;
    }

    private sealed record Request(
        FileInfo X, FileInfo Y, string Kernel, double? SigmaFraction, string SigmaRule, double? Sigma, bool Debiased,
        string Form, string Precision, int? BatchSize, bool DropRagged);

    private static CkaResult Compute(Request r)
    {
        bool rbf = r.Kernel == "rbf";
        if (!rbf && (r.SigmaFraction is not null || r.Sigma is not null || r.SigmaRule != "median"))
            throw new ArgumentException("--sigma-fraction, --sigma-rule and --sigma apply to --kernel rbf only.");
        if (r.SigmaRule == "fixed" && r.Sigma is null)
            throw new ArgumentException("--sigma-rule fixed needs --sigma S.");
        if (r.SigmaRule != "fixed" && r.Sigma is not null)
            throw new ArgumentException("--sigma S goes with --sigma-rule fixed.");
        if (r.SigmaRule == "fixed" && r.SigmaFraction is not null)
            throw new ArgumentException("--sigma-fraction does not apply to --sigma-rule fixed.");
        double fraction = r.SigmaFraction ?? CkaKernel.DefaultSigmaFraction;
        CkaKernel kernel = !rbf ? CkaKernel.Linear : r.SigmaRule switch
        {
            "fixed" => new RbfKernel(SigmaRule.Fixed(r.Sigma!.Value)),
            "nonzero-median" => new RbfKernel(SigmaRule.NonZeroMedianFraction(fraction)),
            _ => new RbfKernel(SigmaRule.MedianFraction(fraction)),
        };

        FeatureMatrix x = Load(r.X), y = Load(r.Y);
        if (r.BatchSize is int b)
        {
            if (r.Form != "auto" || r.Precision != "float64")
                throw new ArgumentException("--batch-size (minibatch CKA) uses per-batch Grams in float64; drop --form and --precision.");
            return MinibatchCka.Compute(x, y, b, kernel, r.DropRagged ? RaggedBatchPolicy.DropFinal : RaggedBatchPolicy.Error);
        }
        if (r.DropRagged) throw new ArgumentException("--drop-ragged goes with --batch-size.");
        var options = new CkaOptions(
            kernel,
            r.Debiased ? HsicEstimator.Unbiased : HsicEstimator.Biased,
            r.Form switch { "gram" => CkaForm.Gram, "feature" => CkaForm.Feature, _ => CkaForm.Auto },
            r.Precision == "float32-products" ? CkaPrecision.Float32Products : CkaPrecision.Float64);
        return Core.Cka.Cka.Compute(x, y, options);
    }

    private static FeatureMatrix Load(FileInfo file)
    {
        if (!file.Exists) throw new FileNotFoundException($"{file.FullName}: no such file.", file.FullName);
        return FeatureMatrix.FromNpy(Npy.Read(file.FullName), file.Name, mayCentreInPlace: true); // nothing else reads the arrays
    }

    private static string ToText(CkaResult r)
    {
        string how = $"{r.Kernel} kernel, {(r.Estimator == HsicEstimator.Unbiased ? "unbiased" : "biased")} HSIC, {r.Form} form, n = {r.N}, d1 = {r.DX}, d2 = {r.DY}";
        if (r.BatchSize is not null) how += $", {r.Batches} batches of {r.BatchSize}";
        if (r.SigmaX is not null) how += FormattableString.Invariant($", sigma_x = {r.SigmaX:G6}, sigma_y = {r.SigmaY:G6}");
        string value = r.IsDefined ? r.Value.ToString("R", CultureInfo.InvariantCulture) : "undefined: " + r.UndefinedReason;
        return $"CKA = {value}  ({how})" + (r.Note is null ? "" : $"\nnote: {r.Note}");
    }

    private static string ToJson(Request request, CkaResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            r.WriteJsonProperties(w, request.Kernel == "rbf" && request.SigmaRule != "fixed" ? request.SigmaFraction ?? CkaKernel.DefaultSigmaFraction : null);
            w.WriteString("x", request.X.FullName);
            w.WriteString("y", request.Y.FullName);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
