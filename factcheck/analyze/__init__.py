"""What differs between a typed claim and a matched record.

``analyze(query, claim)`` returns ``Note``s, each one difference a reader should see:

- ``number``: a figure the query gives differs from the record's figure about the same thing
  ("50,000" vs "approximately 55,000"). Figures are compared as values, so "55 000", "55k" and
  "fifty-five thousand" are the same; qualifiers ("about", "over", "nearly") widen what the
  query's figure allows instead of being read as errors. Years and days are dates, not counts.
- ``speaker``: the query attributes the claim ("X said", "according to X", "X: ...") to someone
  other than the record's speaker; aliases are resolved, so "Zelensky" is "Volodymyr Zelenskyy".
  A placeholder record speaker ("Unknown", "Viral image") gets no such note.
- ``disputed``: the record is disputed and the query states it as fact, or puts it in the
  mouth of the party that disputes it ("Moscow admitted ..." when Moscow denied it).
- ``negation``: one side negates what the other asserts ("did not restore"), or the two go in
  opposite directions ("fell" vs "a 31% increase", "suspended" vs "restore").
- ``date``: a year or month in the query that the record's date (or its text) contradicts.

``verdict(notes, score)`` sums that up in one word; ``claimant(text)`` is the known speaker a
text attributes its claim to. Everything here is pure: no I/O, no terminal; the word lists and
thresholds are in ``rules.py``. The modules, in the order a text goes through them:
``tokens`` (the tokenizer), ``figures``, ``attribution``, ``polarity`` (negation and
direction), ``text`` (the one parse of a text, cached), ``notes`` (the comparisons).
"""

from factcheck.analyze.figures import Figure, extract_figures
from factcheck.analyze.notes import CONTRADICTS, DIFFERS, RELATED, SAME, analyze, claimant, verdict

__all__ = [
    "CONTRADICTS",
    "DIFFERS",
    "RELATED",
    "SAME",
    "Figure",
    "analyze",
    "claimant",
    "extract_figures",
    "verdict",
]
