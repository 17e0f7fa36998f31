namespace Numina.Engine.Presets;

/// <summary>The presets a run can name: the built-ins, then those defined in configuration (which may replace them).</summary>
public sealed class PresetCatalog
{
    private readonly Dictionary<string, Preset> _byName = new(StringComparer.OrdinalIgnoreCase);

    public PresetCatalog(IEnumerable<Preset> presets)
    {
        foreach (var preset in presets)
        {
            var problems = preset.Check();
            if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems));
            _byName[preset.Name] = preset;
        }
    }

    public static PresetCatalog BuiltIn { get; } = new(BuiltInPresets.All);

    public IReadOnlyCollection<Preset> All => _byName.Values;

    public Preset Get(string name) =>
        _byName.TryGetValue(name, out var preset)
            ? preset
            : throw new KeyNotFoundException($"Unknown preset '{name}'. Known presets: {string.Join(", ", _byName.Keys.Order())}.");

    public bool TryGet(string name, out Preset preset) => _byName.TryGetValue(name, out preset!);
}
