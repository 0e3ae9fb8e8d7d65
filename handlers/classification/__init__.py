"""Staff classify the files they share: the question card, its dialog, follow-ups and the register."""
