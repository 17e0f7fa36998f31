using System.Text;

namespace Numina.Engine.Models.Gguf;

/// <summary>GGUF value types (the "type" field of a key/value).</summary>
public enum GgufType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9,
    UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>
/// Writes GGUF v3 files (little-endian): header, key/values, tensor infos, then 32-byte-aligned F32 tensor data.
/// Dimensions are given ne0 first (the row length), as ggml stores them.
/// </summary>
public sealed class GgufWriter
{
    public const uint Version = 3;
    public const int Alignment = 32;
    private readonly List<(string Key, GgufType Type, object Value)> _values = [];
    private readonly List<(string Name, ulong[] Dims, float[] Data)> _tensors = [];

    public GgufWriter Add(string key, string value) => Put(key, GgufType.String, value);
    public GgufWriter Add(string key, uint value) => Put(key, GgufType.UInt32, value);
    public GgufWriter Add(string key, int value) => Put(key, GgufType.Int32, value);
    public GgufWriter Add(string key, float value) => Put(key, GgufType.Float32, value);
    public GgufWriter Add(string key, bool value) => Put(key, GgufType.Bool, value);
    public GgufWriter Add(string key, IReadOnlyList<string> values) => Put(key, GgufType.Array, (GgufType.String, (object)values));
    public GgufWriter Add(string key, IReadOnlyList<float> values) => Put(key, GgufType.Array, (GgufType.Float32, (object)values));
    public GgufWriter Add(string key, IReadOnlyList<int> values) => Put(key, GgufType.Array, (GgufType.Int32, (object)values));

    private GgufWriter Put(string key, GgufType type, object value)
    {
        _values.Add((key, type, value));
        return this;
    }

    /// <summary>An F32 tensor; <paramref name="dims"/> ne0 first; data in ggml order (ne0 varies fastest).</summary>
    public GgufWriter AddTensor(string name, ulong[] dims, float[] data)
    {
        ulong count = dims.Aggregate(1UL, (a, b) => a * b);
        if ((ulong)data.LongLength != count)
            throw new ArgumentException($"Tensor {name}: {data.LongLength} values for dimensions [{string.Join(", ", dims)}].");
        _tensors.Add((name, dims, data));
        return this;
    }

    public void Write(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write("GGUF"u8);
            w.Write(Version);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_values.Count);
            foreach (var (key, type, value) in _values)
            {
                WriteString(w, key);
                w.Write((uint)type);
                WriteValue(w, type, value);
            }
            ulong offset = 0;
            foreach (var (name, dims, data) in _tensors)
            {
                WriteString(w, name);
                w.Write((uint)dims.Length);
                foreach (var d in dims) w.Write(d);
                w.Write(0u); // GGML_TYPE_F32
                w.Write(offset);
                offset = Align((ulong)data.LongLength * 4 + offset);
            }
            Pad(w);
            foreach (var (_, _, data) in _tensors)
            {
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
                w.Write(bytes);
                Pad(w);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    private static ulong Align(ulong n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        long position = w.BaseStream.Position;
        long padded = (long)Align((ulong)position);
        for (long i = position; i < padded; i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufType type, object value)
    {
        switch (type)
        {
            case GgufType.String: WriteString(w, (string)value); break;
            case GgufType.UInt32: w.Write((uint)value); break;
            case GgufType.Int32: w.Write((int)value); break;
            case GgufType.Float32: w.Write((float)value); break;
            case GgufType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufType.Array:
            {
                var (elementType, items) = ((GgufType, object))value;
                w.Write((uint)elementType);
                switch (items)
                {
                    case IReadOnlyList<string> strings:
                        w.Write((ulong)strings.Count);
                        foreach (var s in strings) WriteString(w, s);
                        break;
                    case IReadOnlyList<float> floats:
                        w.Write((ulong)floats.Count);
                        foreach (var f in floats) w.Write(f);
                        break;
                    case IReadOnlyList<int> ints:
                        w.Write((ulong)ints.Count);
                        foreach (var i in ints) w.Write(i);
                        break;
                    default: throw new ArgumentException("Unsupported array element type.");
                }
                break;
            }
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }
}
