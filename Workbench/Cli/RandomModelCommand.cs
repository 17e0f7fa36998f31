using System.CommandLine;
using Numina.Engine.Models.Gguf;

namespace Numina.Workbench.Cli;

/// <summary>
/// <c>Workbench random-model OUT</c>: a random llama GGUF, for trying the mechanics — with the character vocabulary, or
/// with a real model's vocabulary read from its Hugging Face tokenizer.json (and the tokenizer_config.json beside it).
/// </summary>
public static class RandomModelCommand
{
    public static Command Create()
    {
        var output = new Argument<FileInfo>("out") { Description = "Where to write the model." };
        var dim = new Option<int>("--dim") { DefaultValueFactory = _ => 64, Description = "Embedding size." };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 2 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4 };
        var ff = new Option<int>("--ff") { DefaultValueFactory = _ => 128, Description = "Feed-forward size." };
        var context = new Option<int>("--context") { DefaultValueFactory = _ => 4096 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var scale = new Option<float>("--scale") { DefaultValueFactory = _ => 0.4f, Description = "Standard deviation of the weights." };
        var tokenizer = new Option<FileInfo?>("--tokenizer") { Description = "A Hugging Face tokenizer.json whose vocabulary the model carries (default: the character vocabulary)." };
        var pre = new Option<string?>("--pre") { Description = "llama.cpp's pre-tokenizer name for a byte-level BPE tokenizer (qwen2, deepseek-llm, llama3, ...; guessed when absent)." };
        var command = new Command("random-model", "Write a random llama-architecture GGUF model (meaningless text, real mechanics).")
        {
            output, dim, layers, heads, ff, context, seed, scale, tokenizer, pre,
        };
        command.SetAction(parse =>
        {
            var vocabulary = parse.GetValue(tokenizer) is { } file
                ? HuggingFaceTokenizer.Read(file.FullName, new HuggingFaceTokenizerOptions { Pre = parse.GetValue(pre) })
                : GgufVocabulary.Characters;
            var shape = new LlamaShape
            {
                Dim = parse.GetValue(dim), Layers = parse.GetValue(layers), Heads = parse.GetValue(heads), KvHeads = parse.GetValue(heads),
                FeedForward = parse.GetValue(ff), ContextLength = parse.GetValue(context), Vocab = vocabulary.Count,
            };
            var path = parse.GetValue(output)!.FullName;
            LlamaGguf.WriteRandom(path, shape, parse.GetValue(seed), parse.GetValue(scale), preferPrintable: true, vocabulary: vocabulary);
            Console.WriteLine($"{path}: {shape.Parameters:N0} parameters, {vocabulary.Count:N0}-token {vocabulary.Model} vocabulary{(vocabulary.Pre is { } p ? $" (pre-tokenizer {p})" : "")}, {new FileInfo(path).Length / 1e6:0.0} MB");
            return 0;
        });
        return command;
    }
}
