// HTTPTests: behaviour tests for the HTTP module live in this folder.
import Testing
