using Numina.Engine.Models.Llama;
using Numina.Engine.Settings;

namespace Numina.Engine.Configuration;

/// <summary>
/// A model the workbench can load, as <c>Engine:Models:&lt;name&gt;</c> lists it: its file, the preset it is made for,
/// how it is loaded (<c>Engine:Model</c>'s options, each of which it may override) and decoding defaults of its own
/// (e.g. a smaller context for a small model).
/// </summary>
public sealed record ModelEntry
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>The preset a run on this model takes unless another is chosen; null for the configured default.</summary>
    public string? Preset { get; init; }
    public DecodingDefaults Defaults { get; init; } = new();
    /// <summary>How it loads: the file (an absolute path) and llama.cpp's settings.</summary>
    public required LlamaModelOptions Load { get; init; }
    /// <summary>Set when the model is served by OpenAI-compatible servers rather than loaded from <see cref="Path"/>.</summary>
    public Models.Remote.RemoteModelOptions? Server { get; init; }
    /// <summary>True when the entry came from a path given on the command line rather than from the configuration.</summary>
    public bool FromPath { get; init; }

    public string Path => Load.Path;
}
