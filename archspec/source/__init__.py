"""YAML text with locations, and the files that make one spec (extends, imports): all file I/O."""
