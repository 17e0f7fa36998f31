using System.Text.Json;
using Numina.Engine.Configuration;
using Numina.Engine.Execution;
using Numina.Engine.Settings;
using Numina.Engine.Storage;
using Numina.Workbench.Hosting;
using Numina.Workbench.Runs;

namespace Numina.Workbench.Serving;

/// <summary>
/// Runs and cells for scripts, beside the pages: <c>POST /api/runs</c> queues a run (the Solve form's fields, read and
/// checked by the same <see cref="RunForm"/>, so the same messages), <c>GET /api/runs/{id}</c> is its state until the
/// store has it, then its stored record with events, <c>GET /api/runs</c> exports runs as JSONL, and
/// <c>POST /api/cells</c> runs one code cell in the sandbox as a candidate's would run. Behind the same access token
/// as the pages.
/// </summary>
public static class RunApi
{
    /// <summary>The body's fields, as the Solve form names them; numbers may come as JSON numbers or as text.</summary>
    private static readonly Dictionary<string, Action<RunForm, string>> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["problem"] = (f, v) => f.Problem = v,
        ["answer"] = (f, v) => f.KnownAnswer = v,
        ["seed"] = (f, v) => f.Seed = v,
        ["n"] = (f, v) => f.WidthText = v,
        ["m"] = (f, v) => f.DepthText = v,
        ["temperature"] = (f, v) => f.TemperatureText = v,
        ["top_p"] = (f, v) => f.TopPText = v,
        ["max_tokens"] = (f, v) => f.MaxNewTokensText = v,
        ["timeout"] = (f, v) => f.TimeoutText = v,
        ["execution"] = (f, v) => f.Execution = Enum.TryParse<ExecutionMode>(v, ignoreCase: true, out var mode) ? mode
            : throw new InvalidSettingsException([$"execution must be Stateless or Jupyter (got \"{v}\")."]),
    };

    public static void Map(WebApplication app, RunStore store)
    {
        app.MapPost("/api/runs", (HttpContext http, RunService runs, EngineOptions engine, ModelHost models) => QueueAsync(http, runs, engine, models));
        app.MapGet("/api/runs/{id}", (string id, RunService runs) =>
            store.Find(id) is not null ? Results.Text(store.ExportJson(id), "application/json")
            // Not in the store yet: queued, or just started (the store writes behind the run).
            : runs.Find(id) is { } job ? Results.Json(new { id, state = job.State.ToString(), position = runs.PositionOf(job) }, statusCode: 202)
            : Results.NotFound(new { error = $"No run {id}." }));
        app.MapGet("/api/runs", async (string? ids, HttpContext http) =>
        {
            var list = ids is null ? store.List(10_000).Select(s => s.Id) : ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            http.Response.ContentType = "application/x-ndjson";
            await using var writer = new StreamWriter(http.Response.Body);
            await store.ExportJsonlAsync(list.Where(id => store.Find(id) is not null), writer);
        });
        app.MapPost("/api/cells", (HttpContext http, ICodeExecutor executor, EngineOptions engine, ModelHost models) => RunCellAsync(http, executor, engine, models));
    }

    private static async Task<IResult> QueueAsync(HttpContext http, RunService runs, EngineOptions engine, ModelHost models)
    {
        if (await BodyAsync(http) is not { } body) return Results.BadRequest(new { error = "The body must be a JSON object, such as {\"problem\": \"What is 2 + 3?\"}." });
        var form = RunForm.FromDefaults(engine, models.Entry);
        try
        {
            if (body.TryGetValue("preset", out var preset)) form.ApplyPreset(engine, models.Entry, preset);
            var unknown = body.Keys.Where(k => k != "preset" && !Fields.ContainsKey(k)).ToList();
            if (unknown.Count > 0)
                return Results.BadRequest(new { error = $"Unknown field(s): {string.Join(", ", unknown)}. Known: preset, {string.Join(", ", Fields.Keys)}." });
            foreach (var (name, value) in body) if (Fields.TryGetValue(name, out var set)) set(form, value);
            var job = runs.Enqueue(form.ToRequest(engine, models.Entry));
            return Results.Json(new { id = job.Id, state = job.State.ToString(), position = runs.PositionOf(job) }, statusCode: 202);
        }
        catch (InvalidSettingsException e) { return Results.BadRequest(new { error = "Invalid settings.", problems = e.Problems }); }
        catch (InvalidOperationException e) { return Results.Json(new { error = e.Message }, statusCode: 503); }
    }

    private static async Task<IResult> RunCellAsync(HttpContext http, ICodeExecutor executor, EngineOptions engine, ModelHost models)
    {
        if (await BodyAsync(http) is not { } body || !body.TryGetValue("code", out var code))
            return Results.BadRequest(new { error = "The body must be a JSON object with \"code\" (and optionally \"execution\", \"timeout\")." });
        var form = RunForm.FromDefaults(engine, models.Entry);
        try
        {
            foreach (var name in new[] { "execution", "timeout" }) if (body.TryGetValue(name, out var v)) Fields[name](form, v);
            form.Problem = "(a cell run through /api/cells)";
            var request = form.ToRequest(engine, models.Entry);
            var (result, appended) = await CellRerun.RunAsync(executor, request, [], code, http.RequestAborted);
            return Results.Json(new { outcome = result.Outcome.ToString(), seconds = result.Elapsed.TotalSeconds, seen = appended });
        }
        catch (InvalidSettingsException e) { return Results.BadRequest(new { error = "Invalid settings.", problems = e.Problems }); }
    }

    /// <summary>A JSON object's fields as text (numbers as written), or null when the body is not one.</summary>
    private static async Task<Dictionary<string, string>?> BodyAsync(HttpContext http)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.OrdinalIgnoreCase);
        }
        catch (JsonException) { return null; }
    }
}
