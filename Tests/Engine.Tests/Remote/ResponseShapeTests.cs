using Numina.Engine.Models.Remote;

namespace Numina.Engine.Tests.Remote;

/// <summary>
/// The response shapes the servers document for <c>/v1/completions</c>, as they send them (written from vLLM's
/// protocol, SGLang's OpenAI adapter, llama-server's README and TGI's API reference), read by <see cref="CompletionChunk"/>.
/// </summary>
public class ResponseShapeTests
{
    [Fact]
    public void VLlm_streamed_chunk_with_logprobs()
    {
        var chunk = CompletionChunk.Parse("""
            {"id":"cmpl-8d3","object":"text_completion","created":1733,"model":"Qwen/Qwen2.5-Math-7B-Instruct",
             "choices":[{"index":0,"text":" 42","logprobs":{"text_offset":[17,18],"token_logprobs":[-0.25,-0.0001],
             "tokens":[" ","42"],"top_logprobs":[{" ":-0.25},{"42":-0.0001}]},"finish_reason":null,"stop_reason":null}],"usage":null}
            """);
        Assert.Equal(" 42", chunk.Text);
        Assert.Equal([" ", "42"], chunk.Tokens!);
        Assert.Equal([-0.25, -0.0001], chunk.TokenLogprobs!);
        Assert.Null(chunk.FinishReason);
        Assert.Null(chunk.PromptTokens);
    }

    [Fact]
    public void VLlm_last_chunk_names_the_stop_string_and_the_usage_chunk_has_no_choices()
    {
        var last = CompletionChunk.Parse("""{"id":"cmpl-8d3","object":"text_completion","created":1733,"model":"m","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"stop","stop_reason":"```output\n"}]}""");
        Assert.Equal("stop", last.FinishReason);
        Assert.Equal("```output\n", last.StopString);
        var usage = CompletionChunk.Parse("""{"id":"cmpl-8d3","object":"text_completion","created":1733,"model":"m","choices":[],"usage":{"prompt_tokens":212,"total_tokens":252,"completion_tokens":40}}""");
        Assert.Equal(212, usage.PromptTokens);
        Assert.Equal(40, usage.CompletionTokens);
        Assert.Equal("", usage.Text);
    }

    [Fact]
    public void VLlm_eos_has_no_stop_reason_and_a_stop_token_id_is_not_a_string()
    {
        Assert.Null(CompletionChunk.Parse("""{"choices":[{"index":0,"text":"","finish_reason":"stop","stop_reason":null}]}""").StopString);
        Assert.Null(CompletionChunk.Parse("""{"choices":[{"index":0,"text":"","finish_reason":"stop","stop_reason":151643}]}""").StopString);
        Assert.Equal("length", CompletionChunk.Parse("""{"choices":[{"index":0,"text":"x","finish_reason":"length","stop_reason":null}]}""").FinishReason);
    }

    [Fact]
    public void SGLang_names_its_stop_as_matched_stop()
    {
        var chunk = CompletionChunk.Parse("""{"id":"a1","object":"text_completion","created":1,"model":"default","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"stop","matched_stop":"</tool_call>"}],"usage":null}""");
        Assert.Equal("</tool_call>", chunk.StopString);
    }

    [Fact]
    public void Llama_server_chunk_without_logprobs_and_its_stopping_word()
    {
        var chunk = CompletionChunk.Parse("""{"choices":[{"text":"print","index":0,"logprobs":null,"finish_reason":null}],"created":1733,"id":"chatcmpl-x","model":"gpt-3.5-turbo","system_fingerprint":"b4000","object":"text_completion"}""");
        Assert.Equal("print", chunk.Text);
        Assert.Null(chunk.TokenLogprobs);
        var last = CompletionChunk.Parse("""{"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],"object":"text_completion","stopping_word":"```output","usage":{"completion_tokens":12,"prompt_tokens":30,"total_tokens":42}}""");
        Assert.Equal("```output", last.StopString);
        Assert.Equal(30, last.PromptTokens);
    }

    [Fact]
    public void TGI_completion_chunk()
    {
        var chunk = CompletionChunk.Parse("""{"id":"","object":"text_completion","created":1733,"model":"AI-MO/NuminaMath-7B-TIR","system_fingerprint":"3.0.0-native","choices":[{"index":0,"text":" =","logprobs":null,"finish_reason":""}]}""");
        Assert.Equal(" =", chunk.Text);
        Assert.Null(chunk.FinishReason); // TGI's "" while streaming is no finish
        Assert.Equal("eos_token", CompletionChunk.Parse("""{"choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"eos_token"}]}""").FinishReason);
    }

    [Theory]
    [InlineData("""{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}}""", "The model `x` does not exist.")] // OpenAI, vLLM ≥ 0.6
    [InlineData("""{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}""", "This model's maximum context length is 4096 tokens.")] // vLLM
    [InlineData("""{"detail":"Not Found"}""", "Not Found")] // FastAPI (vLLM/SGLang routes)
    [InlineData("""{"error":"Input validation error: `inputs` must have less than 4096 tokens.","error_type":"validation"}""", "Input validation error: `inputs` must have less than 4096 tokens.")] // TGI
    [InlineData("""{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}""", "Loading model")] // llama-server
    [InlineData("upstream connect error or disconnect/reset before headers", "upstream connect error or disconnect/reset before headers")] // a proxy's plain text
    public void Error_bodies_give_the_servers_message(string body, string message) =>
        Assert.Equal(message, CompletionChunk.ErrorMessage(body));

    [Fact]
    public void An_error_sent_inside_a_stream_is_an_error()
    {
        var chunk = CompletionChunk.Parse("""{"error":{"object":"error","message":"CUDA out of memory","type":"InternalServerError","code":500}}""");
        Assert.Equal("CUDA out of memory", chunk.Error);
    }
}
