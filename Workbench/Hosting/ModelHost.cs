using Numina.Engine.Configuration;
using Numina.Engine.Models;
using Numina.Engine.Models.Llama;

namespace Numina.Workbench.Hosting;

/// <summary>
/// The workbench's one loaded model, loaded at start-up from <c>Engine:Model</c>. A missing or broken model does not
/// stop the app: the error is kept and shown, and the rest of the workbench still works.
/// </summary>
public sealed class ModelHost(EngineOptions options, ILogger<ModelHost> log) : IAsyncDisposable
{
    private readonly Lazy<(LlamaModel? Model, string? Error)> _load = new(() =>
    {
        if (string.IsNullOrEmpty(options.Model.Path)) return (null, "No model is configured (Engine:Model:Path).");
        try
        {
            var model = LlamaModel.Load(options.Model, log);
            log.LogInformation("Model {Name}: {Parameters:N0} parameters, {Quantization}, {Device}", model.Facts.Name, model.Facts.Parameters, model.Facts.Quantization, model.Facts.Device);
            return (model, null);
        }
        catch (Exception e) when (e is Engine.Models.Gguf.ModelFileException or ArgumentException or InvalidOperationException)
        {
            log.LogError("The model could not be loaded: {Error}", e.Message);
            return (null, e.Message);
        }
    });

    public ILanguageModel? Model => _load.Value.Model;
    public ModelFacts? Facts => _load.Value.Model?.Facts;
    public string? Error => _load.Value.Error;
    public string Path => options.Model.Path;

    public async ValueTask DisposeAsync()
    {
        if (_load.IsValueCreated && _load.Value.Model is { } model) await model.DisposeAsync();
    }
}
