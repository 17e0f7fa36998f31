using System.CommandLine;
using Numina.Engine.Answers;
using Numina.Engine.Settings;

namespace Numina.Workbench.Cli;

/// <summary>
/// <c>Workbench grade --pairs FILE.jsonl</c>: re-grade other systems' results with the workbench's grader — each line's
/// <c>gold</c> against its <c>pred</c>, written back with <c>equivalent</c> and <c>reason</c> (stdout or --out); a
/// summary on stderr. Exit 0, or 1 when some lines could not be graded (they are written back with the reason).
/// </summary>
public static class GradeCommand
{
    private static readonly Option<FileInfo> Pairs = new("--pairs") { Description = "JSONL with \"gold\" and \"pred\" per line (other fields are kept).", Required = true };
    private static readonly Option<FileInfo?> Out = new("--out") { Description = "Write the graded lines here instead of stdout." };
    private static readonly Option<int> Precision = new("--precision") { DefaultValueFactory = _ => 6, Description = "Decimal places a decimal answer is compared at (Math-Verify's default: 6)." };
    private static readonly Option<bool> Extract = new("--extract") { Description = "gold/pred are free text (whole solutions): read the answer first (last box, \"answer is\", display or inline math) and write it back as gold_extracted/pred_extracted." };
    private static readonly Option<double> Timeout = new("--timeout") { DefaultValueFactory = _ => 5, Description = "Seconds one comparison may take; longer is \"not equal\"." };

    public static Command Create()
    {
        var command = new Command("grade", "Grade pairs of answers (gold, pred) from any system with the workbench's symbolic grader.") { Pairs, Out, Precision, Timeout, Extract, CommonOptions.Config };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(Pairs)!;
            if (!file.Exists) return CliErrors.Fail($"no such file: {file.FullName}");
            int precision = parse.GetValue(Precision);
            double timeout = parse.GetValue(Timeout);
            if (precision is < 0 or > 30) return CliErrors.Fail($"--precision must be 0 to 30, not {precision}");
            if (!(timeout > 0 && timeout <= 600)) return CliErrors.Fail($"--timeout must be above 0 and at most 600 seconds, not {timeout}");
            var options = CommonOptions.LoadEngineOptions(parse);
            await using var executor = options.CreateExecutor();
            await using var grader = new SymbolicEquivalence(executor, TimeSpan.FromSeconds(timeout)) { Precision = precision };
            using var input = file.OpenText();
            var outFile = parse.GetValue(Out);
            await using var output = outFile is null ? Console.Out : new StreamWriter(outFile.FullName, append: false);
            var summary = await PairGrading.GradeAsync(input, output, grader, e => Console.Error.WriteLine(e), ct, parse.GetValue(Extract));
            Console.Error.WriteLine($"graded {summary.Pairs} pairs: {summary.Equivalent} equivalent, {summary.NotEquivalent} not, {summary.Errors} not gradable, {grader.TimedOut} timed out, in {summary.Elapsed.TotalSeconds:0.0} s");
            return summary.Errors == 0 ? 0 : 1;
        });
        return command;
    }
}
