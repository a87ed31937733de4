// RecommenderTests: behaviour tests for the Recommender module live in this folder.
import Testing
