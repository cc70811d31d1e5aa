"""The whole stack on one machine: an AWS emulator, the API and every event handler."""
