"""Reading and writing: the structure data model and the competition files."""
