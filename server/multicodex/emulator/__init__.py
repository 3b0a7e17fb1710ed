"""A faithful loopback emulator of auth.openai.com and chatgpt.com/backend-api."""
