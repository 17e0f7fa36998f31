using Numina.Engine.Models;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Xunit.Abstractions;

namespace Numina.Engine.Tests.Backend;

[Collection("llama")]
public class LlamaBackendTests(ITestOutputHelper output)
{
    private static readonly PromptOptions Options = new() { MaxSequenceTokens = 1024, Sequences = 8 };

    private static async Task<string> Generate(ISequence s, int tokens, params string[] stops)
    {
        var g = await s.GenerateAsync(new GenerationRequest { MaxNewTokens = tokens, StopStrings = stops }, null, CancellationToken.None);
        return g.Text;
    }

    [Fact]
    public async Task Smoke()
    {
        await using var model = TestModels.Load();
        using var prompt = await model.EvaluatePromptAsync("### Problem: 2+2?\n### Solution: ", Options, CancellationToken.None);
        using var a = prompt.Fork(new SamplingSettings { Seed = 1, Temperature = 0.8 });
        var text = await Generate(a, 40);
        output.WriteLine(text);
        Assert.Equal(40, a.Tokens.Generated);
        output.WriteLine(model.Facts.ToString());
    }
}
