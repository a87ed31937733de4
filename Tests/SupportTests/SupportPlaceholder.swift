// SupportTests: behaviour tests for the Support module live in this folder.
import Testing
