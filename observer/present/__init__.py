"""What the analyses look like: the tables every view draws from, the terminal report and the palette."""
