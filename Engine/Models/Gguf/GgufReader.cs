using System.Text;

namespace Numina.Engine.Models.Gguf;

/// <summary>What a GGUF file's header says: its key/values and tensor infos (tensor data is not read).</summary>
public sealed record GgufHeader(uint Version, IReadOnlyDictionary<string, object> Values, IReadOnlyList<GgufTensorInfo> Tensors)
{
    /// <summary>Where tensor data begins: the end of the header, aligned to <c>general.alignment</c> (32 by default).</summary>
    public long DataOffset { get; init; }

    public string? GetString(string key) => Values.TryGetValue(key, out var v) ? v as string : null;

    public long? GetInteger(string key) => Values.TryGetValue(key, out var v) ? v switch
    {
        uint u => u, int i => i, ulong ul => (long)ul, long l => l, ushort us => us, short s => s, byte b => b, sbyte sb => sb,
        _ => null,
    } : null;

    public long ParameterCount => Tensors.Sum(t => t.Elements);
}

public sealed record GgufTensorInfo(string Name, ulong[] Dims, uint Type, ulong Offset)
{
    public long Elements => (long)Dims.Aggregate(1UL, (a, b) => a * b);
}

/// <summary>Thrown when a file is not a usable GGUF model; the message says what is wrong with it.</summary>
public sealed class ModelFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads a GGUF header with clear errors for files that are missing, not GGUF, or cut short.</summary>
public static class GgufReader
{
    private const int MaxStringBytes = 64 << 20;

    public static GgufHeader ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new ModelFileException($"The model file '{path}' does not exist.");
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            var magic = r.ReadBytes(4);
            if (magic.Length < 4 || !magic.AsSpan().SequenceEqual("GGUF"u8))
                throw new ModelFileException($"'{path}' is not a GGUF model file (it does not start with 'GGUF').");
            uint version = r.ReadUInt32();
            if (version is < 2 or > 3) throw new ModelFileException($"'{path}' is GGUF version {version}; versions 2 and 3 are supported.");
            ulong tensorCount = r.ReadUInt64(), kvCount = r.ReadUInt64();
            if (tensorCount > 1_000_000 || kvCount > 1_000_000)
                throw new ModelFileException($"'{path}' has an implausible header ({tensorCount} tensors, {kvCount} values): the file is corrupt.");
            var values = new Dictionary<string, object>();
            for (ulong i = 0; i < kvCount; i++)
            {
                var key = ReadString(r);
                values[key] = ReadValue(r, (GgufType)r.ReadUInt32());
            }
            var tensors = new List<GgufTensorInfo>();
            for (ulong i = 0; i < tensorCount; i++)
            {
                var name = ReadString(r);
                uint dims = r.ReadUInt32();
                if (dims > 8) throw new ModelFileException($"'{path}': tensor '{name}' has {dims} dimensions: the file is corrupt.");
                var shape = new ulong[dims];
                for (int d = 0; d < dims; d++) shape[d] = r.ReadUInt64();
                tensors.Add(new GgufTensorInfo(name, shape, r.ReadUInt32(), r.ReadUInt64()));
            }
            long alignment = values.TryGetValue("general.alignment", out var a) && a is uint u && u > 0 ? u : 32;
            long end = stream.Position;
            return new GgufHeader(version, values, tensors) { DataOffset = (end + alignment - 1) / alignment * alignment };
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFileException($"'{path}' ends before its GGUF header does: the file is truncated or corrupt.", e);
        }
    }

    /// <summary>
    /// One tensor's values as floats: F32 as stored, F16 widened, Q8_0 dequantized (blocks of 32: an F16 scale, then 32 signed bytes).
    /// Lets a trained model be read back, e.g. to go on training from a shipped file.
    /// </summary>
    public static float[] ReadTensor(string path, GgufHeader header, string name)
    {
        var info = header.Tensors.FirstOrDefault(t => t.Name == name)
            ?? throw new ModelFileException($"'{path}' has no tensor '{name}'.");
        long count = info.Elements;
        using var stream = File.OpenRead(path);
        stream.Position = header.DataOffset + (long)info.Offset;
        using var r = new BinaryReader(stream);
        var values = new float[count];
        try
        {
            switch (info.Type)
            {
                case 0: // F32
                    for (long i = 0; i < count; i++) values[i] = r.ReadSingle();
                    break;
                case 1: // F16
                    for (long i = 0; i < count; i++) values[i] = (float)BitConverter.UInt16BitsToHalf(r.ReadUInt16());
                    break;
                case 8: // Q8_0
                    if (count % 32 != 0) throw new ModelFileException($"'{path}': Q8_0 tensor '{name}' has {count} values, not a multiple of 32.");
                    for (long block = 0; block < count; block += 32)
                    {
                        float scale = (float)BitConverter.UInt16BitsToHalf(r.ReadUInt16());
                        for (int j = 0; j < 32; j++) values[block + j] = scale * r.ReadSByte();
                    }
                    break;
                default:
                    throw new ModelFileException($"'{path}': tensor '{name}' has GGUF type {info.Type}; only F32 (0), F16 (1) and Q8_0 (8) can be read back.");
            }
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFileException($"'{path}' ends inside tensor '{name}': the file is truncated or corrupt.", e);
        }
        return values;
    }

    private static string ReadString(BinaryReader r)
    {
        ulong length = r.ReadUInt64();
        if (length > MaxStringBytes) throw new ModelFileException($"A GGUF string of {length} bytes: the file is corrupt.");
        var bytes = r.ReadBytes((int)length);
        if (bytes.Length < (int)length) throw new EndOfStreamException();
        return Encoding.UTF8.GetString(bytes);
    }

    private static object ReadValue(BinaryReader r, GgufType type) => type switch
    {
        GgufType.UInt8 => r.ReadByte(),
        GgufType.Int8 => r.ReadSByte(),
        GgufType.UInt16 => r.ReadUInt16(),
        GgufType.Int16 => r.ReadInt16(),
        GgufType.UInt32 => r.ReadUInt32(),
        GgufType.Int32 => r.ReadInt32(),
        GgufType.Float32 => r.ReadSingle(),
        GgufType.Bool => r.ReadByte() != 0,
        GgufType.String => ReadString(r),
        GgufType.UInt64 => r.ReadUInt64(),
        GgufType.Int64 => r.ReadInt64(),
        GgufType.Float64 => r.ReadDouble(),
        GgufType.Array => ReadArray(r),
        _ => throw new ModelFileException($"Unknown GGUF value type {(uint)type}: the file is corrupt."),
    };

    private static object ReadArray(BinaryReader r)
    {
        var type = (GgufType)r.ReadUInt32();
        ulong count = r.ReadUInt64();
        if (count > 16_000_000) throw new ModelFileException($"A GGUF array of {count} items: the file is corrupt.");
        var items = new object[count];
        for (ulong i = 0; i < count; i++) items[i] = ReadValue(r, type);
        return items;
    }
}
