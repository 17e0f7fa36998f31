using Microsoft.Extensions.Logging;
using Numina.Engine.Configuration;
using Numina.Engine.Models.Llama;
using Numina.Engine.Models.Remote;

namespace Numina.Engine.Models;

/// <summary>Opens the model a configured entry names: a GGUF file run in-process, or a model served by OpenAI-compatible servers.</summary>
public static class ModelLoader
{
    public static async Task<ILanguageModel> LoadAsync(ModelEntry entry, ILogger? log = null, CancellationToken ct = default) =>
        entry.Server is { } server
            ? await OpenAiCompletionsModel.ConnectAsync(server, log, ct).ConfigureAwait(false)
            : LlamaModel.Load(entry.Load, log);
}
