"""The WhatsApp conversation: reading an incoming message and answering it with a command."""
