"""The Textual explorer: screens, widgets and styles. Reads the store, adds
only presentation."""
