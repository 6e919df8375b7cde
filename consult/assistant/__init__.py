"""The citizen assistant: answers with sources, never gives medical advice, guides people to contribute or vote.

One engine (`engine.Assistant`, local and deterministic) is shared by the web views and the command line:
text normalisation (`text`), the knowledge base written in config/assistant/ (`knowledge`), the intent model
and the retrieval (`models`), the safety rules (`safety`), the dialogue state machine (`dialogue`), the optional
OpenAI-compatible client (`llm`); `services` stores conversations, `views` and `cli` are thin.
"""
