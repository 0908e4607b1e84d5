"""The analyses, each a function of sessions' data: metrics, trends, sequences, agreement, calibration, the
live balance, and the story the numbers tell. They never see a real name where a pseudonym was asked for:
names are replaced before the data reaches them (``observer.privacy``)."""
