using Numina.Engine.Answers;
using Numina.Engine.Models;
using Numina.Engine.Presets;

namespace Numina.Engine.Runs;

/// <summary>What to do with a candidate after one of its rounds.</summary>
public sealed record RoundVerdict(DecisionKind Kind, DecisionReason Reason, string? Code = null);

/// <summary>The five checks of the SC-TIR protocol (shared/spec/sc-tir.md), in the spec's order, in one place.</summary>
public static class RoundCheck
{
    /// <param name="transcript">The candidate's whole transcript, prompt included, after this round's generation.</param>
    /// <param name="stopReason">Why this round's generation stopped.</param>
    /// <param name="lastRound">Whether this was the candidate's round M.</param>
    public static RoundVerdict Decide(Preset preset, string transcript, StopReason stopReason, bool lastRound)
    {
        // 1. The whole transcript has no complete code block: restart from the bare prompt (an answer without code never
        //    counts). As the reference's re.findall(r"```python(.*?)```"): an opened but unclosed block does not count.
        if (preset.RestartWithoutCode && !CodeBlocks.HasComplete(transcript, preset))
            return new(DecisionKind.Restart, DecisionReason.NoCodeBlock);

        // 2. It did not stop to run code and an answer appears near the end: retire it answered, or prune it when the
        //    transcript has no output block — a text test, as in the reference (an output block the model wrote counts).
        bool stoppedForCode = stopReason == StopReason.StopString;
        if (!stoppedForCode && AnswerExtractor.HasAnswerMarker(transcript, preset.AnswerSearchWindow))
            return preset.PruneAnswerWithoutOutput && !transcript.Contains(preset.OutputMarker, StringComparison.Ordinal)
                ? new(DecisionKind.Prune, DecisionReason.AnswerWithoutExecutedCode)
                : new(DecisionKind.Retire, DecisionReason.Answered);

        // 3. The last round: stop here; an unanswered candidate counts as no answer.
        if (lastRound)
            return new(DecisionKind.Unanswered, DecisionReason.LastRound);

        // 4. Stopped for another reason (token limit, end of sequence) without an answer: restart from the bare prompt.
        if (!stoppedForCode)
        {
            var reason = stopReason == StopReason.TokenLimit ? DecisionReason.TokenLimit : DecisionReason.EndOfSequence;
            return preset.RestartWhenUnfinished
                ? new(DecisionKind.Restart, reason)
                : new(DecisionKind.Unanswered, reason);
        }

        // 5. Otherwise run the last code block; its output is appended and the candidate goes on.
        var code = CodeBlocks.Last(transcript, preset);
        return code is null
            ? new(DecisionKind.Restart, DecisionReason.StopWithoutCode)
            : new(DecisionKind.Execute, DecisionReason.CodeRequested, code);
    }
}

/// <summary>Finds code blocks by the preset's fences.</summary>
public static class CodeBlocks
{
    /// <summary>Whether an opening fence is followed, somewhere after it, by a closing one (a complete block).</summary>
    public static bool HasComplete(string transcript, Preset preset)
    {
        int open = transcript.IndexOf(preset.CodeOpen, StringComparison.Ordinal);
        return open >= 0 && transcript.IndexOf(preset.CodeClose, open + preset.CodeOpen.Length, StringComparison.Ordinal) >= 0;
    }

    /// <summary>
    /// The content of the last block: from the last opening fence to the next closing fence (or the stop string, or
    /// the end), stripped. Null when the transcript has no opening fence.
    /// </summary>
    public static string? Last(string transcript, Preset preset)
    {
        int open = transcript.LastIndexOf(preset.CodeOpen, StringComparison.Ordinal);
        if (open < 0) return null;
        int start = open + preset.CodeOpen.Length;
        int close = transcript.IndexOf(preset.CodeClose, start, StringComparison.Ordinal);
        int end = close >= 0 ? close : transcript.Length;
        return transcript[start..end].Trim();
    }
}
