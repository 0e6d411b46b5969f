"""Step 0's model: its request (`shared.model.prompt`, pure) and Bedrock's settings and errors
(`shared.model.bedrock`)."""
