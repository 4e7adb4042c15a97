"""Rule data for normalisation and analysis: word lists and thresholds, no logic.

Kept in one module so that a reader can review (and a maintainer can extend) what the tool
treats as a number, a qualifier, a negation, a change of direction or an attribution without
reading the algorithms. ``normalize.py`` and ``analyze.py`` import from here.
"""

from __future__ import annotations

# --- Numbers (shared with normalize.py) -------------------------------------------------------

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 10**12}
# Suffixes glued to or right after a figure: "55k", "2bn".
SUFFIX_SCALES = {"k": 1_000, "bn": 1_000_000_000}

# Function words that carry no topic. Negations are kept out of retrieval too; the analysis
# step looks at them separately. Reporting verbs ("said", "claims") are here because a query
# says "X said ..." while records state the claim itself.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves said say says saying claim claims claimed stated states told
    tells according reportedly allegedly alleged that's its it's never ever been upon via
    per whether yet
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Retrieval equivalents: names a reader writes one way and a record another. A country's
# adjective is its name ("Polish airspace" is about Poland); a spelt-out name its initials
# ("United States" = "U.S." = "US"). Applied to records and queries alike (normalize.terms_of).
TERM_PHRASES = {
    ("united", "states"): "us", ("united", "kingdom"): "uk", ("united", "nations"): "un",
    ("european", "union"): "eu", ("soviet", "union"): "ussr",
}  # fmt: skip
DEMONYMS = {
    "american": "america", "americans": "america", "russian": "russia", "russians": "russia",
    "ukrainian": "ukraine", "ukrainians": "ukraine", "polish": "poland", "chinese": "china",
    "british": "britain", "french": "france", "german": "germany", "germans": "germany",
    "israeli": "israel", "israelis": "israel", "iranian": "iran", "iranians": "iran",
    "syrian": "syria", "turkish": "turkey", "japanese": "japan", "korean": "korea",
    "indian": "india", "mexican": "mexico", "mexicans": "mexico", "canadian": "canada",
    "canadians": "canada", "australian": "australia", "italian": "italy", "spanish": "spain",
    "saudi": "saudi", "egyptian": "egypt", "iraqi": "iraq", "afghan": "afghanistan",
    "pakistani": "pakistan", "palestinian": "palestine", "palestinians": "palestine",
    "estonian": "estonia", "lithuanian": "lithuania", "latvian": "latvia", "belarusian": "belarus",
    "hungarian": "hungary", "romanian": "romania", "moldovan": "moldova", "georgian": "georgia",
    "finnish": "finland", "swedish": "sweden", "norwegian": "norway", "danish": "denmark",
    "dutch": "netherlands", "venezuelan": "venezuela", "cuban": "cuba", "brazilian": "brazil",
    "nigerian": "nigeria", "kenyan": "kenya", "taiwanese": "taiwan", "vietnamese": "vietnam",
}  # fmt: skip

# --- Qualifiers of figures ------------------------------------------------------------------
# A qualifier changes what a figure asserts, so it is kept beside the value instead of being
# read as a different figure: "about 55,000" and "approximately 55,000" say the same thing.
# Kinds: "approx" (either side of the value), "lower" (the true value is at least this),
# "upper" (at most this), "near" (a little below: "nearly 15,000"), "exact".
QUALIFIERS = {
    "about": "approx", "approximately": "approx", "approx.": "approx", "approx": "approx",
    "around": "approx", "roughly": "approx", "some": "approx", "an estimated": "approx",
    "estimated": "approx", "close to": "approx", "more or less": "approx", "circa": "approx",
    "over": "lower", "more than": "lower", "at least": "lower", "above": "lower",
    "in excess of": "lower", "upwards of": "lower", "exceeding": "lower", "just over": "lower",
    "no fewer than": "lower", "no less than": "lower", "as many as": "upper",
    "up to": "upper", "under": "upper", "less than": "upper", "fewer than": "upper",
    "below": "upper", "at most": "upper", "no more than": "upper", "just under": "near",
    "nearly": "near", "almost": "near", "exactly": "exact", "precisely": "exact",
}  # fmt: skip
# "about 54,000" is consistent with "approximately 55,000": an approximate figure allows this
# share of its value, but never more than its rounding unit (55,000 -> 1,000), so "about
# 52,500" still differs from 55,000 while "about 150" accepts the record's 157.
APPROX_TOLERANCE = 0.05
# "nearly 15,000": the true value is a little below the figure, by at most this share, so
# "nearly 60,000" overstates a record's "approximately 55,000".
NEAR_TOLERANCE = 0.05

# --- Dates ------------------------------------------------------------------------------------

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
# "one" is a pronoun, not a count, after these words ("no one", "the one who").
ONE_PRONOUN = frozenset({"no", "any", "every", "some", "each", "the", "this", "that", "which"})

# Month names that are also ordinary words ("may", "march", "mar") count only when written
# with a capital or next to a year or a day.
AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan", "dec", "sept", "sep"})
YEAR_RANGE = (1900, 2100)
# A 4-digit number after these words is a date even before a plural noun ("since 2014 troops").
DATE_CUES = frozenset(
    {"in", "since", "during", "until", "till", "early", "late", "mid", "throughout", "year"}
)
# A year after these is a point of comparison, not when the claim happened.
BASELINE_CUES = ("compared to", "compared with", "than", "versus", "vs", "relative to")
# Words ending in "s" after a number that are not plural nouns ("2014 was", "in 2022 as").
NOT_PLURAL = frozenset({"was", "is", "has", "as", "his", "its", "this", "thus", "us", "whereas"})

# Auxiliaries before a negation belong to the negated phrase quoted in a note ("did not").
AUXILIARIES = frozenset(
    {"did", "does", "do", "has", "have", "had", "was", "were", "is", "are", "will", "would",
     "could", "can", "should"}
)  # fmt: skip

# --- Negation -----------------------------------------------------------------------------------
# A cue negates the next few content words of its clause ("did not restore", "no formal
# disclosures", "denied that Russian forces lost access").
NEGATION_CUES = frozenset(
    {"not", "no", "never", "nor", "neither", "none", "nothing", "nobody", "without", "deny",
     "denied", "denies", "denying", "didnt", "dont", "doesnt", "hasnt", "havent", "hadnt",
     "wasnt", "werent", "isnt", "arent", "wont", "cant", "cannot", "couldnt", "wouldnt"}
)  # fmt: skip
# Two-word cues: "Russia has yet to respond" says it has not responded.
NEGATION_PHRASES = frozenset({("yet", "to"), ("failed", "to"), ("refused", "to")})
# Cue + next word that is not a negation: "not only", "no more than" (a qualifier), "no-fly".
NOT_NEGATION = frozenset({"only", "more", "fewer", "less", "least", "doubt"})
# How many content words after a cue it negates, and the words that end its scope early.
NEGATION_SCOPE = 2
SCOPE_BREAKS = frozenset(
    {"but", "while", "although", "though", "whereas", "however", "yet", "and", "or"}
)
# After the first negated word, a preposition starts a circumstance, not more of what is
# negated: "did not agree | in Abu Dhabi", "yet to respond | to the reports".
SCOPE_PREPOSITIONS = frozenset(
    """
    in at on for with from by during since after before to into over under near about
    against between toward towards across amid
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- Direction ----------------------------------------------------------------------------------
# Each axis: (name, words going one way, words going the other way). A query word on one side
# against a record word on the other side, about the same thing, is a contradiction.
# "up"/"down" count only next to a figure or a form of "to be"/"go" (see analyze.py), since
# "forced down" or "set up" say nothing about a trend.
DIRECTIONS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    (
        "rise/fall",  # amounts and plans alike: "increase supplies" vs "cut supplies"
        _words(
            "rise rises rose risen rising increase increased increases increasing grew grow "
            "grows growing grown growth climb climbed climbs surge surged surges jump jumped "
            "soar soared higher up expand expanded expands expanding boost boosted"
        ),
        _words(
            "fall falls fell fallen falling decrease decreased decreases decreasing drop "
            "dropped drops dropping decline declined declines declining shrank shrink shrunk "
            "plunge plunged plummeted lower down reduction reduce reduced reduces reducing cut "
            "cuts curtail curtailed"
        ),
    ),
    (
        "restored/suspended",
        _words(
            "restore restored restores restoring resume resumed resumes resuming reopen "
            "reopened reopens reestablish reestablished re-establish re-established revive "
            "revived revives renew renewed regain regained gain gained gains"
        ),
        _words(
            "suspend suspended suspends suspending halt halted halts sever severed freeze "
            "froze frozen lost lose loses losing cancel cancelled canceled"
        ),
    ),
    (
        "admitted/denied",
        _words(
            "admit admitted admits admitting acknowledge acknowledged acknowledges confirm "
            "confirmed confirms"
        ),
        _words(
            "deny denied denies denying reject rejected rejects dismiss dismissed dismisses "
            "refute refuted"
        ),
    ),
    (
        "won/lost",
        _words("win wins won winning victory"),
        _words("lose loses lost losing defeat defeated"),
    ),
    (
        "intensify/ease",
        _words(
            "intensify intensified intensifies intensifying escalate escalated escalates escalating"
        ),
        _words(
            "ease eased eases easing de-escalate de-escalated de-escalating deescalate deescalating"
        ),
    ),
    (
        "agreed/refused",
        _words("agree agreed agrees accept accepted accepts approve approved"),
        _words("refuse refused refuses decline declined veto vetoed"),
    ),
    (
        "allowed/restricted",
        _words("allow allowed allows permit permitted unblock unblocked"),
        _words("restrict restricted restricts block blocked ban banned bans"),
    ),
)
# "up"/"down" are directions only after these words (or before/after a figure).
UP_DOWN_CONTEXT = frozenset(
    {"is", "was", "are", "were", "be", "been", "being", "went", "go", "goes", "gone", "going",
     "percent"}
)  # fmt: skip

# --- Attribution ------------------------------------------------------------------------------
# "<speaker> <verb>" names who makes the claim; a speaker merely acting in it ("Zelensky met
# Tusk") is not the claimant.
ATTRIBUTION_VERBS = frozenset(
    """
    said says say told tells claimed claims claim stated states state announced announces
    announce reported reports report admitted admits admit denied denies deny insisted insists
    noted notes emphasized emphasised stressed underscored warned cited cites argued argues
    added wrote writes tweeted posted declared declares confirmed confirms acknowledged
    acknowledges asserted asserts alleged alleges maintained maintains disclosed revealed
    estimated estimates
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Words allowed between a speaker and the verb: "Moscow has repeatedly denied".
ATTRIBUTION_FILLERS = frozenset(
    """
    has have had also reportedly publicly officially previously earlier later recently
    repeatedly once again allegedly initially first then now today yesterday on thursday
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Participles that take "by <speaker>": "as reported by HRW".
PASSIVE_ATTRIBUTION = frozenset(
    {"said", "reported", "announced", "stated", "claimed", "confirmed", "denied", "cited"}
)
# Vague subjects that name no one: "officials said" attributes the claim to nobody in particular.
GENERIC_SPEAKERS = frozenset(
    """
    officials official sources source reports report media experts analysts observers critics
    witnesses residents authorities government people someone somebody everyone they he she
    it we i you one many some others the a an this that these those who spokesperson
    spokesman spokeswoman breaking update updated
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Record speakers that name no claimant: an unknown source and the
# usual ClaimReview/PolitiFact stand-ins for "people online". A query naming someone else is
# no contradiction of these, so they never get a speaker note (compared case-folded).
PLACEHOLDER_SPEAKERS = frozenset(
    {"unknown", "unknown fact-checker", "viral image", "viral images",
     "viral video", "viral post", "viral claim", "social media", "facebook posts",
     "facebook post", "instagram posts", "tiktok posts", "tweets", "bloggers", "blog posting",
     "multiple sources", "chain email", "email", "various websites", "websites", "online posts",
     "memes", "meme", "rumor", "rumors", "anonymous", "unidentified", "unnamed"}
)  # fmt: skip

# Words that mark a query as reporting a claim rather than asserting it: a disputed record
# stated "as fact" gets a note, "reportedly" does not.
HEDGES = frozenset(
    """
    allegedly alleged reportedly purportedly supposedly apparently unconfirmed disputed
    claimed claims rumoured rumored possibly said says told stated announced reported
    according
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# A disputed record gets a note when the query states it as fact; a bare topic ("Black Sea
# drone incident") states nothing. A statement has a finite verb: one of these, or a word in
# -ed ("crashed", "dumped"). Headline present tense ("jets dump fuel") is missed: a missing
# note is less harmful than a note on a search for a topic.
FINITE_VERBS = frozenset(
    """
    is are was were has have had did does do will would could can struck shot fell rose
    lost won made took gave began begun hit sank flew went came sent told knew saw ran led
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# --- Sentences (segment.py) ------------------------------------------------------------------
# Abbreviations, compared lowercased with their final period.
NEVER_END = _words(
    """gen. lt. col. sgt. capt. adm. maj. cmdr. mr. mrs. ms. dr. prof. sen. rep. gov. pres. rev.
    st. mt. ft. jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec. vs. e.g. i.e.
    approx. est. fig. cf. ca."""
)
NUMBER_ABBREVIATIONS = frozenset({"no.", "nos."})
AMBIGUOUS_END = _words("u.s. u.k. u.n. e.u. a.m. p.m. inc. ltd. co. corp. jr. sr.")
# Words that, capitalised after an ambiguous abbreviation, signal that a new sentence began.
SENTENCE_STARTERS = _words(
    """The This That These Those There It Its He She They We I You His Her Their Our My A An
    In On At As For If But And Or So Yet However Meanwhile Still Also After Before When While
    Since Although Though What Why How Who Where Such Some Many Most Both Each Now Then Later
    Earlier Last Next Officials Under"""
)


# --- Verdict ------------------------------------------------------------------------------------
# Without any note, a match scoring below this is only "related": the calibrated score is an
# estimate of P(same claim) x 100 (match.py), and below 70 the quality set's top matches are
# paraphrases of neighbouring records as often as restatements of the record itself.
RELATED_BELOW = 70.0
