"""CharGPT: the course's example final project, a character-level GPT on hw4's needle with a
KV cache for generation and int8 weight-only quantization. See project/example/README.md."""
