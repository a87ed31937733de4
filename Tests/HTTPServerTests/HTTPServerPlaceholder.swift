// HTTPServerTests: behaviour tests for the HTTPServer module live in this folder.
import Testing
