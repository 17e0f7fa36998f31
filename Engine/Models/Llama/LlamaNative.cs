using LLama.Native;
using Microsoft.Extensions.Logging;

namespace Numina.Engine.Models.Llama;

/// <summary>One line of llama.cpp's log.</summary>
public readonly record struct LlamaLogLine(LLamaLogLevel Level, string Text);

/// <summary>
/// Configures llama.cpp's native library once per process, before anything loads it, and keeps its log: warnings and
/// errors go to our logger, and while a model loads every line is captured (<see cref="Capture"/>) so that a failed load
/// can give llama.cpp's own reason, a successful one its warnings and buffer sizes.
/// </summary>
internal static class LlamaNative
{
    private static readonly object Gate = new();
    private static bool _configured;
    private static ILogger? _log;
    private static List<LlamaLogLine>? _capture;

    public static void EnsureConfigured(ILogger? log)
    {
        lock (Gate)
        {
            _log ??= log;
            if (_configured) return;
            _configured = true;
            NativeLibraryConfig.All.WithLogCallback(OnLog);
            NativeApi.llama_empty_call(); // load the library now (the quantizer needs it loaded)
        }
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        lock (Gate)
        {
            if (_capture is { } lines)
            {
                // Continue: the rest of the previous line (progress dots, long lines written in parts).
                if (level == LLamaLogLevel.Continue && lines.Count > 0) lines[^1] = lines[^1] with { Text = lines[^1].Text + message };
                else if (level != LLamaLogLevel.Continue) lines.Add(new LlamaLogLine(level, message));
            }
        }
        var text = message.Trim();
        if (text.Length == 0) return;
        if (level is LLamaLogLevel.Error) _log?.LogError("llama.cpp: {Message}", text);
        else if (level is LLamaLogLevel.Warning) _log?.LogWarning("llama.cpp: {Message}", text);
    }

    /// <summary>
    /// Runs <paramref name="action"/> (a model load) with llama.cpp's log captured. One load at a time, so the lines are
    /// that load's own.
    /// </summary>
    public static (T? Result, IReadOnlyList<LlamaLogLine> Lines, Exception? Error) Capture<T>(Func<T> action)
    {
        lock (LoadGate)
        {
            lock (Gate) _capture = [];
            try
            {
                var result = action();
                return (result, Take(), null);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return (default, Take(), e);
            }
        }
    }

    private static readonly object LoadGate = new();

    private static IReadOnlyList<LlamaLogLine> Take()
    {
        lock (Gate)
        {
            var lines = _capture ?? [];
            _capture = null;
            return lines.Select(l => l with { Text = l.Text.Trim() }).Where(l => l.Text.Length > 0).ToList();
        }
    }

    /// <summary>llama.cpp's reason for a failed load: its most specific error line.</summary>
    public static string? Reason(IReadOnlyList<LlamaLogLine> lines)
    {
        var errors = lines.Where(l => l.Level == LLamaLogLevel.Error).Select(l => l.Text).ToList();
        return errors.FirstOrDefault(e => e.Contains("error loading model", StringComparison.Ordinal))
            ?? errors.FirstOrDefault(e => !e.Contains("failed to load model", StringComparison.Ordinal))
            ?? errors.FirstOrDefault();
    }

    /// <summary>
    /// llama.cpp's warnings, one per line. Left out: "n_ctx_seq (…) > n_ctx_train", which the engine's one KV pool shared
    /// by all sequences always triggers (a sequence's context is the run's context size, not the pool).
    /// </summary>
    public static IReadOnlyList<string> Warnings(IReadOnlyList<LlamaLogLine> lines) =>
        lines.Where(l => l.Level == LLamaLogLevel.Warning && !l.Text.Contains("n_ctx_seq", StringComparison.Ordinal))
            .Select(l => l.Text).Distinct().ToList();

    /// <summary>The buffer sizes llama.cpp reported ("CPU KV buffer size = 12.00 MiB" → "CPU KV buffer": bytes).</summary>
    public static IReadOnlyDictionary<string, long> BufferSizes(IReadOnlyList<LlamaLogLine> lines)
    {
        var sizes = new Dictionary<string, long>();
        foreach (var line in lines)
        {
            var m = System.Text.RegularExpressions.Regex.Match(line.Text, @"(?:^|:\s+)([\w\- ]+? buffer) size\s*=\s*([\d.]+) MiB");
            if (!m.Success) continue;
            var key = m.Groups[1].Value.Trim();
            long bytes = (long)(double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) * (1 << 20));
            sizes[key] = sizes.GetValueOrDefault(key) + bytes;
        }
        return sizes;
    }
}
