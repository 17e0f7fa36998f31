using Numina.Engine.Models.Gguf;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Numina.Trainer.Modeling;

/// <summary>
/// The llama architecture exactly as llama.cpp's "llama" runs it: embeddings; per layer RMSNorm → attention with RoPE
/// rotating adjacent pairs (x[2i], x[2i+1]) → residual, RMSNorm → SwiGLU → residual; final RMSNorm; output projection;
/// no biases. Weight shapes match the GGUF tensors one to one, so export needs no permutation.
/// </summary>
public sealed class TinyLlama : Module<Tensor, Tensor>
{
    public LlamaShape Shape { get; }
    public readonly Embedding tok_embeddings;
    public readonly ModuleList<Block> layers;
    public readonly Parameter norm;
    public readonly Linear output;
    private readonly Tensor _cos, _sin;

    public TinyLlama(LlamaShape shape) : base("tiny_llama")
    {
        Shape = shape;
        tok_embeddings = Embedding(shape.Vocab, shape.Dim);
        layers = new ModuleList<Block>(Enumerable.Range(0, shape.Layers).Select(i => new Block(shape, i)).ToArray());
        norm = new Parameter(ones(shape.Dim));
        output = Linear(shape.Dim, shape.Vocab, hasBias: false);
        // RoPE tables for every position: theta_i = base^(-2i/head_dim).
        int half = shape.HeadDim / 2;
        var inv = pow(shape.RopeBase, -arange(0, half, dtype: float32) * 2 / shape.HeadDim);
        var angles = outer(arange(0, shape.ContextLength, dtype: float32), inv);
        _cos = angles.cos().unsqueeze(1); // [T, 1, half]
        _sin = angles.sin().unsqueeze(1);
        RegisterComponents();
        foreach (var (name, p) in named_parameters())
            if (!name.EndsWith("norm", StringComparison.Ordinal) && !name.Contains("norm.", StringComparison.Ordinal))
                init.normal_(p, 0, 0.02);
    }

    public override Tensor forward(Tensor tokens)
    {
        long t = tokens.shape[1];
        var cos = _cos.narrow(0, 0, t);
        var sin = _sin.narrow(0, 0, t);
        var h = tok_embeddings.forward(tokens);
        foreach (var layer in layers) h = layer.Forward(h, cos, sin);
        return output.forward(RmsNorm(h, norm, Shape.RmsEpsilon));
    }

    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps) =>
        x * rsqrt(x.pow(2).mean([-1L], keepdim: true) + eps) * weight;

    /// <summary>Rotates adjacent pairs (llama.cpp's normal RoPE). x: [B, T, H, D].</summary>
    public static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        var shape = x.shape;
        var pairs = x.reshape(shape[0], shape[1], shape[2], shape[3] / 2, 2);
        var x0 = pairs.select(-1, 0);
        var x1 = pairs.select(-1, 1);
        var rotated = stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1);
        return rotated.reshape(shape);
    }

    public sealed class Block : Module
    {
        private readonly LlamaShape _shape;
        public readonly Parameter attn_norm, ffn_norm;
        public readonly Linear wq, wk, wv, wo, w_gate, w_up, w_down;

        public Block(LlamaShape shape, int index) : base($"block{index}")
        {
            _shape = shape;
            attn_norm = new Parameter(ones(shape.Dim));
            ffn_norm = new Parameter(ones(shape.Dim));
            wq = Linear(shape.Dim, shape.Dim, hasBias: false);
            wk = Linear(shape.Dim, shape.KvDim, hasBias: false);
            wv = Linear(shape.Dim, shape.KvDim, hasBias: false);
            wo = Linear(shape.Dim, shape.Dim, hasBias: false);
            w_gate = Linear(shape.Dim, shape.FeedForward, hasBias: false);
            w_up = Linear(shape.Dim, shape.FeedForward, hasBias: false);
            w_down = Linear(shape.FeedForward, shape.Dim, hasBias: false);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor cos, Tensor sin)
        {
            long b = x.shape[0], t = x.shape[1];
            int h = _shape.Heads, kvh = _shape.KvHeads, hd = _shape.HeadDim;
            var a = RmsNorm(x, attn_norm, _shape.RmsEpsilon);
            var q = Rope(wq.forward(a).view(b, t, h, hd), cos, sin).transpose(1, 2);
            var k = Rope(wk.forward(a).view(b, t, kvh, hd), cos, sin).transpose(1, 2);
            var v = wv.forward(a).view(b, t, kvh, hd).transpose(1, 2);
            if (kvh != h)
            {
                k = k.repeat_interleave(h / kvh, dim: 1);
                v = v.repeat_interleave(h / kvh, dim: 1);
            }
            var attention = functional.scaled_dot_product_attention(q, k, v, is_casual: true);
            x = x + wo.forward(attention.transpose(1, 2).reshape(b, t, h * hd));
            var f = RmsNorm(x, ffn_norm, _shape.RmsEpsilon);
            return x + w_down.forward(functional.silu(w_gate.forward(f)) * w_up.forward(f));
        }
    }

    /// <summary>Every tensor as the GGUF file names it (values in ggml order: a Linear's [out, in] rows are ne1 rows of ne0).</summary>
    public float[] Tensor(string ggufName) => Weight(ggufName).detach().cpu().contiguous().data<float>().ToArray();

    /// <summary>The parameter behind a GGUF tensor name.</summary>
    private Tensor Weight(string ggufName) => ggufName switch
    {
        "token_embd.weight" => tok_embeddings.weight!,
        "output_norm.weight" => norm,
        "output.weight" => output.weight!,
        _ => LayerTensor(ggufName),
    };

    private Tensor LayerTensor(string name)
    {
        var parts = name.Split('.');
        var block = (Block)layers[int.Parse(parts[1])];
        return parts[2] switch
        {
            "attn_norm" => block.attn_norm,
            "attn_q" => block.wq.weight!,
            "attn_k" => block.wk.weight!,
            "attn_v" => block.wv.weight!,
            "attn_output" => block.wo.weight!,
            "ffn_norm" => block.ffn_norm,
            "ffn_gate" => block.w_gate.weight!,
            "ffn_up" => block.w_up.weight!,
            "ffn_down" => block.w_down.weight!,
            _ => throw new ArgumentException("Unknown tensor " + name),
        };
    }

    /// <summary>
    /// Loads every weight from a GGUF file of the same shape (F32, or Q8_0 dequantized): to go on training from a
    /// shipped model when its checkpoints are gone.
    /// </summary>
    public void LoadGguf(string path)
    {
        var header = GgufReader.ReadHeader(path);
        using var _ = no_grad();
        foreach (var (name, dims) in Shape.Tensors())
        {
            var info = header.Tensors.FirstOrDefault(t => t.Name == name)
                ?? throw new ModelFileException($"'{path}' has no tensor '{name}': it is not a model of this shape.");
            if (!info.Dims.SequenceEqual(dims))
                throw new ModelFileException($"'{path}': tensor '{name}' is [{string.Join(", ", info.Dims)}], this shape needs [{string.Join(", ", dims)}].");
            var target = Weight(name);
            target.copy_(tensor(GgufReader.ReadTensor(path, header, name)).view(target.shape));
        }
    }

    public void ExportGguf(string path, string name) => LlamaGguf.Write(path, Shape, (tensor, _) => Tensor(tensor), name);
}
