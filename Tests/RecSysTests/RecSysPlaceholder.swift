// RecSysTests: behaviour tests for the RecSys module live in this folder.
import Testing
