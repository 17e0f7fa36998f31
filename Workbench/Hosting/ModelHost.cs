using Numina.Engine.Configuration;
using Numina.Engine.Models;
using Numina.Engine.Models.Llama;

namespace Numina.Workbench.Hosting;

/// <summary>A model held for one run or evaluation: it is not unloaded while a lease on it is open.</summary>
public sealed class ModelLease(ModelHost.Loaded loaded) : IDisposable
{
    private int _disposed;
    public ILanguageModel Model => loaded.Model!;
    public ModelEntry Entry => loaded.Entry;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) loaded.Release();
    }
}

/// <summary>
/// The workbench's loaded model: one of the models <c>Engine:Models</c> lists (the default at start-up). A missing or
/// broken model does not stop the app: the error is kept and shown, and the rest of the workbench still works.
/// Switching loads the new model beside the old one; the old one is unloaded when no run holds it any more.
/// </summary>
public sealed class ModelHost(EngineOptions options, ILogger<ModelHost> log) : IAsyncDisposable
{
    private readonly object _gate = new();
    private Loaded? _current;
    private bool _started;
    private string? _switching;

    /// <summary>A loaded model (or the error that kept it from loading) and how many runs hold it.</summary>
    public sealed class Loaded(ModelEntry entry, ILanguageModel? model, string? error, ILogger log)
    {
        private int _leases;
        private bool _retired;
        public ModelEntry Entry { get; } = entry;
        public ILanguageModel? Model { get; } = model;
        public string? Error { get; } = error;

        internal bool TryAcquire()
        {
            lock (this)
            {
                if (_retired || Model is null) return false;
                _leases++;
                return true;
            }
        }

        internal void Release()
        {
            bool dispose;
            lock (this) dispose = --_leases == 0 && _retired;
            if (dispose) Unload();
        }

        /// <summary>No new run takes it; it is unloaded now or when its last run ends.</summary>
        internal void Retire()
        {
            bool dispose;
            lock (this)
            {
                _retired = true;
                dispose = _leases == 0;
            }
            if (dispose) Unload();
        }

        public int Leases
        {
            get { lock (this) return _leases; }
        }

        private void Unload()
        {
            if (Model is null) return;
            log.LogInformation("Unloading model {Name}", Entry.Name);
            Model.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Raised after the loaded model changed or a switch began or failed (pages re-render).</summary>
    public event Action? Changed;

    private Loaded Current
    {
        get
        {
            lock (_gate)
            {
                if (!_started)
                {
                    _started = true;
                    _current = Load(options.Models.FirstOrDefault());
                }
                return _current!;
            }
        }
    }

    private Loaded Load(ModelEntry? entry)
    {
        if (entry is null)
            return new Loaded(new ModelEntry { Name = "(none)", Load = options.ModelBase }, null, "No model is configured (Engine:Models, or Engine:Model:Path).", log);
        try
        {
            var model = ModelLoader.LoadAsync(entry, log).GetAwaiter().GetResult(); // start-up and switches wait for it anyway
            log.LogInformation("Model {Entry}: {Name}, {Parameters:N0} parameters, {Quantization}, {Device}; memory {Plan}",
                entry.Name, model.Facts.Name, model.Facts.Parameters, model.Facts.Quantization, model.Facts.Device, model.Facts.Memory);
            return new Loaded(entry, model, null, log);
        }
        catch (Exception e) when (e is Engine.Models.Gguf.ModelFileException or ArgumentException or InvalidOperationException or ModelServerException or Engine.Settings.InvalidSettingsException)
        {
            log.LogError("The model {Name} could not be loaded: {Error}", entry.Name, e.Message);
            return new Loaded(entry, null, e.Message, log);
        }
    }

    public ILanguageModel? Model => Current.Model;
    public ModelFacts? Facts => Current.Model?.Facts;
    public string? Error => Current.Error;
    public ModelEntry Entry => Current.Entry;
    public string Path => Current.Entry.Path;
    /// <summary>Runs holding the loaded model right now.</summary>
    public int Leases => Current.Leases;
    /// <summary>The model being loaded by a switch, if one is under way.</summary>
    public string? Switching
    {
        get { lock (_gate) return _switching; }
    }

    public IReadOnlyList<ModelEntry> Configured => options.Models;

    /// <summary>Holds the loaded model for a run; null (with <see cref="Error"/>) when none is loaded.</summary>
    public ModelLease? Acquire()
    {
        var loaded = Current;
        return loaded.TryAcquire() ? new ModelLease(loaded) : null;
    }

    /// <summary>
    /// Loads another configured model and makes it the one new runs get. The old one is unloaded once no run holds it.
    /// A model that fails to load leaves the current one in place; the error is returned.
    /// </summary>
    public async Task<string?> SwitchAsync(string name)
    {
        var entry = options.FindModel(name);
        lock (_gate)
        {
            if (_switching is not null) return $"Already loading {_switching}.";
            if (_started && _current!.Entry.Name == entry.Name && _current.Model is not null) return null;
            _switching = entry.Name;
        }
        Changed?.Invoke();
        Loaded next;
        try { next = await Task.Run(() => Load(entry)); }
        finally
        {
            lock (_gate) _switching = null;
        }
        if (next.Model is null)
        {
            Changed?.Invoke();
            return next.Error;
        }
        Loaded? old;
        lock (_gate)
        {
            old = _current;
            _current = next;
            _started = true;
        }
        old?.Retire();
        Changed?.Invoke();
        return null;
    }

    public ValueTask DisposeAsync()
    {
        Loaded? current;
        lock (_gate) current = _started ? _current : null;
        current?.Retire();
        return ValueTask.CompletedTask;
    }
}
