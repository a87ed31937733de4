// ServiceTests: behaviour tests for the Service module live in this folder.
import Testing
