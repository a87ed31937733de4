// QuantTests: behaviour tests for the Quant module live in this folder.
import Testing
