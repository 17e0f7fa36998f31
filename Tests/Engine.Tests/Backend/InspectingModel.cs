using Numina.Engine.Models;

namespace Numina.Engine.Tests.Backend;

/// <summary>One check of a sequence: after a generation (stop) or an append, what the model reads against the transcript.</summary>
public sealed record ContextCheck(string After, string Transcript, string Context, IReadOnlyList<int> Tokens)
{
    public bool Same => Transcript == Context;
}

/// <summary>
/// Wraps an in-process model and, after every generation and every append of every sequence, compares what the model
/// reads (its context decoded from its tokens) with the transcript built from the texts the engine was given — the
/// prompt, each generation's text, each appended output — exactly as the run record builds it.
/// </summary>
public sealed class InspectingModel(ILanguageModel inner) : ILanguageModel
{
    private readonly List<ContextCheck> _checks = [];
    public ModelFacts Facts => inner.Facts;

    public IReadOnlyList<ContextCheck> Checks
    {
        get { lock (_checks) return _checks.ToList(); }
    }

    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, string? template) => inner.ApplyChatTemplate(messages, template);

    public async Task<IPromptState> EvaluatePromptAsync(PromptText prompt, PromptOptions options, CancellationToken cancellationToken) =>
        new State(this, await inner.EvaluatePromptAsync(prompt, options, cancellationToken), prompt.Text);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private void Check(string after, ISequence sequence, string transcript)
    {
        var inspectable = (IInspectableSequence)sequence;
        lock (_checks) _checks.Add(new ContextCheck(after, transcript, inspectable.DecodeContext(), inspectable.ContextTokens));
    }

    private sealed class State(InspectingModel model, IPromptState inner, string prompt) : IPromptState
    {
        public int TokenCount => inner.TokenCount;
        public SequencePlan Plan => inner.Plan;
        public ISequence Fork(SamplingSettings sampling) => new Sequence(model, inner.Fork(sampling), prompt);
        public void Dispose() => inner.Dispose();
    }

    private sealed class Sequence(InspectingModel model, ISequence inner, string prompt) : ISequence
    {
        private string _transcript = prompt;

        public SamplingSettings Sampling { get => inner.Sampling; set => inner.Sampling = value; }
        public SequenceTokens Tokens => inner.Tokens;

        public int Append(string text)
        {
            int n = inner.Append(text);
            _transcript += text;
            model.Check("append", inner, _transcript);
            return n;
        }

        public async Task<Generation> GenerateAsync(GenerationRequest request, Action<GeneratedPiece>? onPiece, CancellationToken cancellationToken)
        {
            var generation = await inner.GenerateAsync(request, onPiece, cancellationToken);
            _transcript += generation.Text;
            model.Check(generation.StopReason.ToString(), inner, _transcript);
            return generation;
        }

        public void Dispose() => inner.Dispose();
    }
}
