"""What a document says: its text extracted as paragraphs (PDF, DOCX, ODT, plain text), bounded in expanded
size and in time, and the redline between two texts. Pure functions of bytes, with no storage and no HTTP."""
