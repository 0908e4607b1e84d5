"""The terminal interface: thin screens over the coding state machine and the metrics."""

import os

# Textual draws at most TEXTUAL_FPS frames a second. After a frame that follows a still moment (a clock tick, a
# balance panel), its screen timer skips to the period after next: a key shown just then is painted up to two
# periods later, 33 ms at Textual's default of 60. At 120 the wait is at most 17 ms. A frame is drawn only when
# something changed, so a still screen costs nothing more. Read when Textual is first imported, which is below
# this line; a value the user set is kept.
os.environ.setdefault("TEXTUAL_FPS", "120")
