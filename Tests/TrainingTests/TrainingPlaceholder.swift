// TrainingTests: behaviour tests for the Training module live in this folder.
import Testing
