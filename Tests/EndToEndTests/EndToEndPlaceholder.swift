// EndToEndTests: behaviour tests for the EndToEnd module live in this folder.
import Testing
