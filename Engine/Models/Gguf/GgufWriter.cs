using System.Text;

namespace Numina.Engine.Models.Gguf;

/// <summary>GGUF value types (the "type" field of a key/value).</summary>
public enum GgufType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9,
    UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>How a tensor's values are stored (ggml type ids).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    /// <summary>Blocks of 32 values: an F16 scale, then 32 signed bytes (34 bytes per block).</summary>
    Q8_0 = 8,
}

/// <summary>
/// Writes GGUF v3 files (little-endian): header, key/values, tensor infos, then 32-byte-aligned tensor data (F32, F16
/// or Q8_0). Dimensions are given ne0 first (the row length), as ggml stores them.
/// </summary>
public sealed class GgufWriter
{
    public const uint Version = 3;
    public const int Alignment = 32;
    private readonly List<(string Key, GgufType Type, object Value)> _values = [];
    private readonly List<(string Name, ulong[] Dims, float[] Data, GgmlType Type)> _tensors = [];

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

    /// <summary>A tensor; <paramref name="dims"/> ne0 first; data in ggml order (ne0 varies fastest).</summary>
    public GgufWriter AddTensor(string name, ulong[] dims, float[] data, GgmlType type = GgmlType.F32)
    {
        ulong count = dims.Aggregate(1UL, (a, b) => a * b);
        if ((ulong)data.LongLength != count)
            throw new ArgumentException($"Tensor {name}: {data.LongLength} values for dimensions [{string.Join(", ", dims)}].");
        if (type == GgmlType.Q8_0 && dims[0] % 32 != 0)
            throw new ArgumentException($"Tensor {name}: Q8_0 needs rows of a multiple of 32 values (got {dims[0]}).");
        _tensors.Add((name, dims, data, type));
        return this;
    }

    /// <summary>Bytes a tensor of <paramref name="count"/> values takes in <paramref name="type"/>.</summary>
    public static long ByteSize(long count, GgmlType type) => type switch
    {
        GgmlType.F32 => count * 4,
        GgmlType.F16 => count * 2,
        GgmlType.Q8_0 => count / 32 * 34,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

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
            foreach (var (name, dims, data, type) in _tensors)
            {
                WriteString(w, name);
                w.Write((uint)dims.Length);
                foreach (var d in dims) w.Write(d);
                w.Write((uint)type);
                w.Write(offset);
                offset = Align((ulong)ByteSize(data.LongLength, type) + offset);
            }
            Pad(w);
            foreach (var (_, _, data, type) in _tensors)
            {
                WriteData(w, data, type);
                Pad(w);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    private static void WriteData(BinaryWriter w, float[] data, GgmlType type)
    {
        switch (type)
        {
            case GgmlType.F32:
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
                break;
            case GgmlType.F16:
                foreach (var v in data) w.Write(BitConverter.HalfToUInt16Bits((Half)v));
                break;
            case GgmlType.Q8_0:
                // ggml's reference quantizer: scale = max|x| / 127, q = round(x / scale).
                Span<sbyte> q = stackalloc sbyte[32];
                for (long block = 0; block < data.LongLength; block += 32)
                {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(data[block + j]));
                    float scale = amax / 127f, inverse = scale > 0 ? 1f / scale : 0f;
                    for (int j = 0; j < 32; j++) q[j] = (sbyte)Math.Round(data[block + j] * inverse, MidpointRounding.AwayFromZero);
                    w.Write(BitConverter.HalfToUInt16Bits((Half)scale));
                    w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(q));
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
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
