// TokenizerTests: behaviour tests for the Tokenizer module live in this folder.
import Testing
