// LlamaTests: behaviour tests for the Llama module live in this folder.
import Testing
