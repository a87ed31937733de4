// ModelFilesTests: behaviour tests for the ModelFiles module live in this folder.
import Testing
