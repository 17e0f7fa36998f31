using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Numina.Engine.Models.Llama;

/// <summary>
/// Configures llama.cpp's native library once per process, before anything loads it: its log goes to our logger
/// (warnings and errors only; the last error is kept to explain a failed load).
/// </summary>
internal static class LlamaNative
{
    private static readonly object Gate = new();
    private static bool _configured;
    private static ILogger? _log;
    public static string? LastError { get; private set; }

    public static void EnsureConfigured(ILogger? log)
    {
        lock (Gate)
        {
            _log ??= log;
            if (_configured) return;
            _configured = true;
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (level is LLamaLogLevel.Error)
                {
                    LastError = message.Trim();
                    _log?.LogError("llama.cpp: {Message}", LastError);
                }
                else if (level is LLamaLogLevel.Warning)
                    _log?.LogWarning("llama.cpp: {Message}", message.Trim());
            });
            NativeApi.llama_empty_call(); // load the library now (the quantizer needs it loaded)
        }
    }
}
