"""One completion's life: pick an account, stream, and move on when quota runs out."""
